// The de-duplication window.
#include "engine/dedup.hpp"

#include "events/assert.hpp"

namespace lf::engine {

// Command ids and tenant ids contain no control characters, so the unit
// separator cannot occur inside either part.
std::string DedupWindow::key_of(std::string_view tenant_id, std::string_view command_id) {
  std::string key;
  key.reserve(tenant_id.size() + 1 + command_id.size());
  key.append(tenant_id);
  key.push_back('\x1f');
  key.append(command_id);
  return key;
}

const DedupWindow::Entry* DedupWindow::find(std::string_view tenant_id,
                                            std::string_view command_id) const {
  auto found = entries_.find(key_of(tenant_id, command_id));
  return found == entries_.end() ? nullptr : &found->second;
}

void DedupWindow::add(const std::string& tenant_id, const std::string& command_id, int64_t seq,
                      std::string result_json) {
  LF_ASSERT(order_.empty() || order_.back().seq <= seq);
  std::string key = key_of(tenant_id, command_id);
  auto [it, inserted] = entries_.try_emplace(key, Entry{seq, std::move(result_json)});
  // The engine checks the window before deciding, so an accepted record never
  // repeats a command_id inside it; should one arrive anyway (a foreign
  // writer), the first decision stays the answer.
  if (!inserted) return;
  order_.push_back(Slot{seq, std::move(key)});
  while (entries_.size() > capacity_) {
    entries_.erase(order_.front().key);
    order_.pop_front();
  }
}

std::vector<DedupWindow::Row> DedupWindow::since(int64_t after_seq) const {
  std::vector<Row> rows;
  auto it = order_.end();
  while (it != order_.begin() && std::prev(it)->seq > after_seq) --it;
  for (; it != order_.end(); ++it) {
    const std::size_t separator = it->key.find('\x1f');
    const Entry& entry = entries_.at(it->key);
    rows.push_back(Row{it->key.substr(0, separator), it->key.substr(separator + 1), entry.seq,
                       entry.result_json});
  }
  return rows;
}

}  // namespace lf::engine

// The de-duplication window.
#include "engine/dedup.hpp"

#include <algorithm>
#include <array>

#include "events/assert.hpp"

namespace lf::engine {

namespace {

// Tenant and command ids are bounded by the command schemas; a key longer
// than this is still found, through a string.
constexpr std::size_t kKeyBufferBytes = 256;

}  // namespace

// Command ids and tenant ids contain no control characters, so the unit
// separator cannot occur inside either part.
std::string_view DedupWindow::key_of(std::string_view tenant_id, std::string_view command_id,
                                     std::span<char> buffer, std::string& scratch) {
  const std::size_t size = tenant_id.size() + 1 + command_id.size();
  char* text = buffer.data();
  if (size > buffer.size()) {
    scratch.resize(size);
    text = scratch.data();
  }
  std::copy(tenant_id.begin(), tenant_id.end(), text);
  text[tenant_id.size()] = '\x1f';
  std::copy(command_id.begin(), command_id.end(), text + tenant_id.size() + 1);
  return {text, size};
}

const DedupWindow::Entry* DedupWindow::find(std::string_view tenant_id,
                                            std::string_view command_id) const {
  std::array<char, kKeyBufferBytes> buffer;
  std::string scratch;
  auto found = entries_.find(key_of(tenant_id, command_id, buffer, scratch));
  return found == entries_.end() ? nullptr : &found->second;
}

void DedupWindow::add(const std::string& tenant_id, const std::string& command_id, int64_t seq,
                      std::string result_json) {
  LF_ASSERT(order_.empty() || order_.back().seq <= seq);
  // The map keeps the key as a string: built once (no buffer on the stack),
  // and looked up once.
  std::string key;
  key_of(tenant_id, command_id, {}, key);
  // The engine checks the window before deciding, so an accepted record never
  // repeats a command_id inside it; should one arrive anyway (a foreign
  // writer), the first decision stays the answer.
  auto [it, inserted] = entries_.try_emplace(std::move(key), Entry{seq, std::move(result_json)});
  if (!inserted) return;
  order_.push_back(Slot{seq, &*it});
  while (entries_.size() > capacity_) {
    // Erasing by iterator: the key the slot points to dies with its node.
    entries_.erase(entries_.find(order_.front().node->first));
    order_.pop_front();
  }
}

std::vector<DedupWindow::Row> DedupWindow::since(int64_t after_seq) const {
  std::vector<Row> rows;
  auto it = order_.end();
  while (it != order_.begin() && std::prev(it)->seq > after_seq) --it;
  for (; it != order_.end(); ++it) {
    const auto& [key, entry] = *it->node;
    const std::size_t separator = key.find('\x1f');
    rows.push_back(
        Row{key.substr(0, separator), key.substr(separator + 1), entry.seq, entry.result_json});
  }
  return rows;
}

}  // namespace lf::engine

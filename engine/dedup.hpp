// The command_id de-duplication window of one partition: the results of the
// last `capacity` decided commands, keyed by (tenant, command_id). It is a
// function of the log (filled as records are applied), so every engine that
// rebuilds a partition has the same window.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "events/string_hash.hpp"

namespace lf::engine {

class DedupWindow {
 public:
  struct Entry {
    int64_t seq = 0;
    std::string result_json;  // the encoded ResultEnvelope of the original decision
  };
  struct Row {
    std::string tenant_id;
    std::string command_id;
    int64_t seq = 0;
    std::string result_json;
  };

  explicit DedupWindow(std::size_t capacity) : capacity_(capacity) {}
  // The order points into the map's nodes: a move keeps them, a copy would not.
  DedupWindow(DedupWindow&&) noexcept = default;
  DedupWindow& operator=(DedupWindow&&) noexcept = default;
  DedupWindow(const DedupWindow&) = delete;
  DedupWindow& operator=(const DedupWindow&) = delete;

  const Entry* find(std::string_view tenant_id, std::string_view command_id) const;
  // `seq` must not decrease from one call to the next.
  void add(const std::string& tenant_id, const std::string& command_id, int64_t seq,
           std::string result_json);

  // Entries with seq > after_seq, oldest first (what a snapshot must add).
  std::vector<Row> since(int64_t after_seq) const;
  // The seq of the oldest entry kept, or 0 when empty.
  int64_t oldest_seq() const { return order_.empty() ? 0 : order_.front().seq; }
  std::size_t size() const { return entries_.size(); }
  std::size_t capacity() const { return capacity_; }

 private:
  struct Slot {
    int64_t seq;
    // Its key and entry, in the map (a map's nodes do not move).
    const std::pair<const std::string, Entry>* node;
  };
  // A key's text is "<tenant_id>\x1f<command_id>", in `buffer`, or in
  // `scratch` when it is longer than `buffer`.
  static std::string_view key_of(std::string_view tenant_id, std::string_view command_id,
                                 std::span<char> buffer, std::string& scratch);

  std::size_t capacity_;
  // Looked up by view: a lookup builds its key without a string.
  StringMap<Entry> entries_;
  std::deque<Slot> order_;
};

}  // namespace lf::engine

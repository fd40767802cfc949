// A projection: a name, a version, the tables it owns, and a pure mapping
// from an accepted commit record to row changes. The runtime in
// consumers/projector batches the changes into PostgreSQL; it knows no domain.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/envelope.hpp"
#include "projections/row_batch.hpp"

namespace lf::projections {

// An accepted commit record and where it sits in ledgerflow.events.
struct RecordAt {
  int32_t partition = 0;
  int64_t offset = 0;
  const DecodedRecord* record = nullptr;
  // Set when `record` holds only some of the commit record's events (the
  // runtime holds back those of parked streams): the index each of them
  // has in the commit record.
  const std::vector<int32_t>* event_indexes = nullptr;

  // The index of record->events[i] in the commit record.
  int32_t event_index(std::size_t i) const {
    return event_indexes != nullptr ? (*event_indexes)[i] : static_cast<int32_t>(i);
  }
};

// Some events of a decoded record, as a record of their own: the header
// and the chosen events (pointing into the original's document, which must
// outlive this).
class RecordSubset {
 public:
  RecordSubset(const DecodedRecord& record, std::vector<int32_t> event_indexes);
  RecordAt at(int32_t partition, int64_t offset) const {
    return RecordAt{partition, offset, &subset_, &indexes_};
  }

 private:
  DecodedRecord subset_;
  std::vector<int32_t> indexes_;
};

// What the runtime does with an event this binary does not know (its type,
// or a schema_version newer than the binary's: events/known_events.hpp).
enum class UnknownEventPolicy {
  apply,  // hand it to apply() like any other: the mapping copes with any type
  skip,   // leave it out (counted): the projection does not read such events
  park,   // park its stream for this projection until replay-parked
};
std::string_view to_string(UnknownEventPolicy policy);
std::optional<UnknownEventPolicy> parse_unknown_event_policy(std::string_view text);

class Projection {
 public:
  virtual ~Projection() = default;
  virtual std::string_view name() const = 0;
  // Bumped whenever the mapping or the tables change; a new version calls
  // for a rebuild.
  virtual int32_t version() const = 0;
  virtual std::vector<const TableSpec*> tables() const = 0;
  // Appends the row changes of `at` (accepted by the chain rule) to `batch`.
  // Events of types it does not handle are skipped.
  virtual void apply(const RecordAt& at, RowBatch& batch) const = 0;
  // The policy for an unknown event of `type`. Skip by default; a projection
  // parks the unknown types of the domains it reads, since skipping those
  // would silently leave its rows wrong.
  virtual UnknownEventPolicy unknown_event_policy(std::string_view type) const;
};

// Park when `type` starts with one of `prefixes` (e.g. "credits."), else skip.
UnknownEventPolicy park_prefixed(std::string_view type,
                                 std::initializer_list<std::string_view> prefixes);

// Helpers shared by the mappings.
Value text_or_null(const rapidjson::Value& object, std::string_view field);
Value int_or_null(const rapidjson::Value& object, std::string_view field);
Value timestamp_or_null(const rapidjson::Value& object, std::string_view field);
Value timestamp_value(int64_t unix_ms);
Value bool_or_null(const rapidjson::Value& object, std::string_view field);
// A YYYY-MM-DD member as a Date; null when absent or not a calendar date.
Value date_or_null(const rapidjson::Value& object, std::string_view field);
// A member's JSON text (for jsonb columns); null when absent or JSON null.
Value json_or_null(const rapidjson::Value& object, std::string_view field);
// A member's JSON text, JSON null included (a jsonb 'null'); null only when
// absent. For columns that hold "any JSON value" as given.
Value json_value_or_null(const rapidjson::Value& object, std::string_view field);
// An integer member of units (minor units, micro-dollars) as the exact
// decimal text of units / 10^scale_digits, with exactly scale_digits
// fractional digits (500050, 2 -> "5000.50"), for numeric columns; null
// when absent or not an integer.
Value scaled_decimal_or_null(const rapidjson::Value& object, std::string_view field,
                             int32_t scale_digits);

}  // namespace lf::projections

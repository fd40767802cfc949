// A projection: a name, a version, the tables it owns, and a pure mapping
// from an accepted commit record to row changes. The runtime in
// consumers/projector batches the changes into PostgreSQL; it knows no domain.
#pragma once

#include <cstdint>
#include <memory>
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
};

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
};

// Every projection ledgerflow ships, in a fixed order.
std::vector<std::unique_ptr<Projection>> all_projections();
// The projection named `name`, or null.
std::unique_ptr<Projection> make_projection(std::string_view name);

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

}  // namespace lf::projections

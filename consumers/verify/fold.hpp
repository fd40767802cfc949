// `ledgerflow verify`'s core: fold the committed log in memory through the
// projections (chain rule applied per partition, then the one feed of
// projections/feed.hpp, unknown-event policy and all) and diff the result against
// the read tables in PostgreSQL. Read tables must equal the fold of the log
// (DESIGN.md guarantee 4).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "consumers/kafka/kafka.hpp"
#include "events/chain.hpp"
#include "events/json.hpp"
#include "projections/feed.hpp"
#include "projections/projection.hpp"

namespace lf::verify {

// One difference between what the log implies and what a table holds.
struct Difference {
  std::string table;
  std::string key;       // the key columns, "col=value, ..."
  std::string column;    // empty when the whole row is missing or unexpected
  std::string expected;  // "(absent)" for an unexpected row
  std::string found;     // "(absent)" for a missing row
};

std::string to_string(const Difference& difference);

// The tables the projections would hold after the accepted records, in memory.
class Fold {
 public:
  explicit Fold(std::vector<std::unique_ptr<projections::Projection>> projections);

  // Offers the next message of `partition` (offsets in order); applies it if
  // the chain rule accepts it. Returns the verdict (undecodable: nullopt).
  std::optional<RecordVerdict> offer(int32_t partition, int64_t offset, std::string_view value,
                                     const JsonLimits& limits);

  // Applies row changes already mapped from accepted records (a rebuild
  // feeds the fold the same batches it writes).
  void add(const projections::RowBatch& batch) { apply(batch); }
  // Rows held, over every table.
  std::size_t row_count() const;

  int64_t accepted() const { return accepted_; }
  int64_t ignored() const { return ignored_; }
  int64_t undecodable() const { return undecodable_; }
  const std::map<int32_t, ChainPosition>& chains() const { return chains_; }

  // Canonical rows: table name -> key -> column values (canonical text, or
  // nullopt for NULL), in the table's column order.
  using Row = std::vector<std::optional<std::string>>;
  using Table = std::map<std::string, Row>;
  const std::map<std::string, Table>& tables() const { return tables_; }
  const std::vector<std::unique_ptr<projections::Projection>>& projections() const {
    return projections_;
  }

 private:
  void apply(const projections::RowBatch& batch);

  std::vector<std::unique_ptr<projections::Projection>> projections_;
  std::map<int32_t, ChainPosition> chains_;
  // Per projection: the streams its unknown-event policy parked, held from
  // then on as the projector holds them.
  std::vector<projections::HeldStreamSet> held_;
  std::map<std::string, Table> tables_;
  int64_t accepted_ = 0;
  int64_t ignored_ = 0;
  int64_t undecodable_ = 0;
};

// Reads every partition of `topic` from offset 0 to its high watermark into
// `fold`. Throws if the broker no longer holds offset 0 of a partition (the
// fold would be incomplete).
void fold_topic(const kafka::Settings& settings, const std::string& topic, Fold& fold,
                const JsonLimits& limits);

// The canonical text of a projection value (as the SQL in diff() renders it).
std::optional<std::string> canonical(const projections::Value& value, projections::SqlType type);

// Compares every table of the fold's projections with PostgreSQL; at most
// `limit` differences are returned. `tenant_id`: compare only that tenant.
// `table_suffix`: compare with the tables named <table><suffix> (a rebuild's
// shadow tables); differences still name the projection's table.
std::vector<Difference> diff(pqxx::work& work, const Fold& fold, std::size_t limit,
                             const std::optional<std::string>& tenant_id = std::nullopt,
                             const std::string& table_suffix = "");
// The same for the rows of a set of tenants: e.g. those of one partition,
// whose records one partition's fold holds (a fold of a long log, one
// partition at a time).
std::vector<Difference> diff_tenants(pqxx::work& work, const Fold& fold, std::size_t limit,
                                     const std::set<std::string>& tenant_ids);

}  // namespace lf::verify

#include "consumers/rebuild/checkpoints.hpp"

#include <utility>

#include "consumers/pg/copy.hpp"
#include "consumers/pg/positions.hpp"

namespace lf::rebuild {

namespace {

constexpr const char* kSelectPositions =
    "SELECT partition, next_offset, last_seq, last_record_id, ignored_count, deadlettered_count "
    "FROM projection_checkpoints ";

std::map<int32_t, Position> positions_of(const pqxx::result& rows) {
  std::map<int32_t, Position> positions;
  for (const pqxx::row& row : rows) {
    Position& position = positions[row[0].as<int32_t>()];
    position.next_offset = row[1].as<int64_t>();
    position.chain = ChainPosition{row[2].as<int64_t>(), row[3].as<std::string>()};
    position.ignored = row[4].as<int64_t>();
    position.deadlettered = row[5].as<int64_t>();
  }
  return positions;
}

}  // namespace

std::map<int32_t, Position> archive_positions(pqxx::transaction_base& tx) {
  return positions_of(tx.exec(std::string(kSelectPositions) + "WHERE projection = 'event_log'"));
}

std::map<int32_t, Position> lock_checkpoints(pqxx::work& work, const std::string& projection,
                                             const std::vector<int32_t>& partitions) {
  std::vector<std::string> names{projection};
  pg::load_checkpoints(work, names, partitions);  // creates missing rows, so all can be locked
  return positions_of(work.exec_params(
      std::string(kSelectPositions) + "WHERE projection = $1 ORDER BY partition FOR UPDATE",
      projection));
}

void store_positions(pqxx::work& work, const std::string& projection,
                     const std::map<int32_t, Position>& positions) {
  std::vector<std::pair<int32_t, Position>> rows(positions.begin(), positions.end());
  using Row = std::pair<int32_t, Position>;
  const auto partitions =
      pg::array_of(rows, [](const Row& row) { return static_cast<int64_t>(row.first); });
  const auto next_offsets =
      pg::array_of(rows, [](const Row& row) { return row.second.next_offset; });
  const auto seqs = pg::array_of(rows, [](const Row& row) { return row.second.chain.last_seq; });
  const auto record_ids =
      pg::array_of(rows, [](const Row& row) { return row.second.chain.last_record_id; });
  const auto ignored = pg::array_of(rows, [](const Row& row) { return row.second.ignored; });
  const auto deadlettered =
      pg::array_of(rows, [](const Row& row) { return row.second.deadlettered; });
  work.exec_params(
      "INSERT INTO projection_checkpoints AS c (projection, partition, next_offset, last_seq, "
      "last_record_id, "
      "ignored_count, deadlettered_count, updated_at) "
      "SELECT $1, v.* , now() FROM unnest($2::integer[], $3::bigint[], $4::bigint[], $5::text[], "
      "$6::bigint[], "
      "$7::bigint[]) AS v "
      "ON CONFLICT (projection, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, "
      "last_seq = EXCLUDED.last_seq, last_record_id = EXCLUDED.last_record_id, "
      "ignored_count = EXCLUDED.ignored_count, deadlettered_count = EXCLUDED.deadlettered_count, "
      "generation = c.generation + 1, updated_at = now()",
      projection, partitions, next_offsets, seqs, record_ids, ignored, deadlettered);
}

}  // namespace lf::rebuild

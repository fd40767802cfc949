// Projection checkpoints in PostgreSQL (positions.hpp), written by
// compare-and-set so a stale writer's transaction changes nothing.
#include "consumers/pg/positions.hpp"
#include "consumers/pg/internal.hpp"

#include <map>
#include <memory>
#include <unordered_map>
#include <utility>

#include <spdlog/spdlog.h>

#include "consumers/pg/copy.hpp"
#include "events/assert.hpp"

namespace lf::pg {

namespace {

constexpr const char* kInsertMissingCheckpoints =
    "INSERT INTO projection_checkpoints (projection, partition) "
    "SELECT p.projection, n.partition "
    "FROM unnest($1::text[]) AS p(projection) CROSS JOIN unnest($2::integer[]) AS n(partition) "
    "ON CONFLICT (projection, partition) DO NOTHING";

constexpr const char* kSelectCheckpoints =
    "SELECT projection, partition, next_offset, last_seq, last_record_id, ignored_count, "
    "deadlettered_count, unknown_skipped_count, generation FROM projection_checkpoints "
    "WHERE projection = ANY($1::text[]) AND partition = ANY($2::integer[])";

// Compare-and-set on next_offset and generation. Under READ COMMITTED a
// concurrent writer's UPDATE waits for ours and then re-checks the WHERE
// clause, so of two projectors moving the same position only the first
// succeeds, and a replay-parked that committed first (bumping generation)
// makes the projector re-read its parked streams.
constexpr const char* kAdvanceCheckpoints =
    "UPDATE projection_checkpoints AS c SET next_offset = v.next_offset, last_seq = v.last_seq, "
    "last_record_id = v.last_record_id, ignored_count = v.ignored_count, "
    "deadlettered_count = v.deadlettered_count, unknown_skipped_count = v.unknown_skipped_count, "
    "updated_at = now() "
    "FROM unnest($1::text[], $2::integer[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[], "
    "$7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[]) "
    "AS v(projection, partition, before_next_offset, next_offset, last_seq, last_record_id, "
    "ignored_count, deadlettered_count, unknown_skipped_count, before_generation) "
    "WHERE c.projection = v.projection AND c.partition = v.partition "
    "AND c.next_offset = v.before_next_offset AND c.generation = v.before_generation";

}  // namespace

std::vector<Checkpoint> load_checkpoints(pqxx::work& work,
                                         const std::vector<std::string>& projections,
                                         const std::vector<int32_t>& partitions) {
  if (projections.empty() || partitions.empty()) return {};
  const std::string names = array_of(projections, [](const std::string& name) { return name; });
  const std::string numbers =
      array_of(partitions, [](int32_t partition) { return static_cast<int64_t>(partition); });
  work.exec_params(kInsertMissingCheckpoints, names, numbers);

  std::map<std::pair<std::string, int32_t>, Checkpoint> stored;
  for (const pqxx::row& row : work.exec_params(kSelectCheckpoints, names, numbers)) {
    Checkpoint checkpoint;
    checkpoint.projection = row[0].as<std::string>();
    checkpoint.partition = row[1].as<int32_t>();
    checkpoint.next_offset = row[2].as<int64_t>();
    checkpoint.last_seq = row[3].as<int64_t>();
    checkpoint.last_record_id = row[4].as<std::string>();
    checkpoint.ignored_count = row[5].as<int64_t>();
    checkpoint.deadlettered_count = row[6].as<int64_t>();
    checkpoint.unknown_skipped_count = row[7].as<int64_t>();
    checkpoint.generation = row[8].as<int64_t>();
    stored.emplace(std::make_pair(checkpoint.projection, checkpoint.partition),
                   std::move(checkpoint));
  }
  // In the order asked: projections, then partitions.
  std::vector<Checkpoint> checkpoints;
  checkpoints.reserve(projections.size() * partitions.size());
  for (const std::string& projection : projections) {
    for (int32_t partition : partitions) {
      auto found = stored.find({projection, partition});
      LF_ASSERT_MSG(found != stored.end(), "checkpoint row missing right after its insert");
      checkpoints.push_back(found->second);
    }
  }
  return checkpoints;
}

PipelinedStatement advance_checkpoints_statement(const std::vector<Checkpoint>& before,
                                                 const std::vector<Checkpoint>& after) {
  LF_ASSERT(before.size() == after.size());
  for (std::size_t i = 0; i < after.size(); ++i) {
    LF_ASSERT(before[i].projection == after[i].projection);
    LF_ASSERT(before[i].partition == after[i].partition);
    LF_ASSERT(after[i].next_offset >= 0 && after[i].last_seq >= 0);
    LF_ASSERT(before[i].generation == after[i].generation);
  }
  return PipelinedStatement{
      "lf.advance_checkpoints",
      kAdvanceCheckpoints,
      {array_of(after, [](const Checkpoint& c) { return c.projection; }),
       array_of(after, [](const Checkpoint& c) { return static_cast<int64_t>(c.partition); }),
       array_of(before, [](const Checkpoint& c) { return c.next_offset; }),
       array_of(after, [](const Checkpoint& c) { return c.next_offset; }),
       array_of(after, [](const Checkpoint& c) { return c.last_seq; }),
       array_of(after, [](const Checkpoint& c) { return c.last_record_id; }),
       array_of(after, [](const Checkpoint& c) { return c.ignored_count; }),
       array_of(after, [](const Checkpoint& c) { return c.deadlettered_count; }),
       array_of(after, [](const Checkpoint& c) { return c.unknown_skipped_count; }),
       array_of(before, [](const Checkpoint& c) { return c.generation; })},
      [expected = after.size()](uint64_t matched) {
        if (matched == expected) return;
        throw StalePosition("checkpoint compare-and-set matched " + std::to_string(matched) +
                            " of " + std::to_string(expected) +
                            " positions: another projector has moved them");
      }};
}

void advance_checkpoints(pqxx::work& work, const std::vector<Checkpoint>& before,
                         const std::vector<Checkpoint>& after) {
  if (after.empty()) return;
  run_alone(work, advance_checkpoints_statement(before, after));
}

}  // namespace lf::pg

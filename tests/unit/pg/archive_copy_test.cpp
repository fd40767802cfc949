// A line of the archive's COPY text read back into its columns, COPY's
// escapes undone; and an event held back keeps every column.
#include <string>

#include <gtest/gtest.h>

#include "consumers/pg/archive.hpp"

namespace lf::pg {
namespace {

void expect_the_lines_columns(const ArchivedEvent& event) {
  EXPECT_EQ(event.kafka_offset, 41);
  EXPECT_EQ(event.seq, 7);
  EXPECT_EQ(event.record_id, "rec-7");
  EXPECT_EQ(event.tenant_id, "0b5e0f4c-4b83-4c1e-9c36-3f0a3b7e2a10");
  EXPECT_EQ(event.command_id, "cmd-1");
  EXPECT_EQ(event.event, "{\"note\": \"a \\\"quoted\\\" word\\tand\\nlines\", \"raw\": \"\t\"}");
  EXPECT_EQ(event.event_index, 2);
  EXPECT_EQ(event.partition, 11);
}

TEST(ArchiveCopyLine, ColumnsComeBackWithCopysEscapesUndone) {
  // The event's JSON holds a quote escaped with a backslash, a tab and a
  // newline escaped by JSON; COPY doubles the backslashes.
  std::string line =
      "41\t7\trec-7\t0b5e0f4c-4b83-4c1e-9c36-3f0a3b7e2a10\tcmd-1\t"
      "{\"note\": \"a \\\\\"quoted\\\\\" word\\\\tand\\\\nlines\", \"raw\": \"\\t\"}\t2\t11\n";
  const ArchivedEvent event = parse_archive_copy_line(line);
  expect_the_lines_columns(event);

  const KeptEvent kept(event);
  line.assign(line.size(), 'x');  // the kept copy no longer depends on the line
  expect_the_lines_columns(kept.view());
}

TEST(ArchiveCopyLine, ALineThatIsNotTheArchivesColumnsIsAnError) {
  for (std::string line : {std::string("1\t2\tr\tt\tc\t{}\t0"),            // 7 columns
                           std::string("1\t2\tr\tt\tc\t{}\t0\t3\textra"),  // 9 columns
                           std::string("1\tx\tr\tt\tc\t{}\t0\t3"),         // seq not a number
                           std::string("1\t2\tr\t\\N\tc\t{}\t0\t3"),       // a NULL
                           std::string("1\t2\tr\tt\tc\t{}\\\t0\t3")}) {    // a dangling backslash
    EXPECT_THROW(parse_archive_copy_line(line), std::runtime_error) << line;
  }
}

}  // namespace
}  // namespace lf::pg

// The CSV reader reads what PostgreSQL's COPY ... CSV HEADER writes: quoting,
// quotes and line breaks inside fields, NULL against "", CRLF, a byte order
// mark; and every error names its line.
#include <gtest/gtest.h>

#include <sstream>

#include "importer/csv.hpp"

namespace lf::importer {
namespace {

std::vector<CsvRecord> read_all(std::string_view text) {
  CsvReader reader(text);
  std::vector<CsvRecord> records;
  CsvRecord record;
  while (true) {
    Result<bool> read = reader.next(record);
    EXPECT_TRUE(read.ok()) << (read.ok() ? "" : read.error().message);
    if (!read.ok() || !*read) break;
    records.push_back(record);
  }
  return records;
}

std::string error_of(std::string_view text) {
  CsvReader reader(text);
  CsvRecord record;
  while (true) {
    Result<bool> read = reader.next(record);
    if (!read.ok()) {
      EXPECT_EQ(read.error().code, "invalid_csv");
      return read.error().message;
    }
    if (!*read) return "";
  }
}

TEST(Csv, ReadsFieldsAndLines) {
  const auto records = read_all("a,b,c\n1,2,3\n4,5,6\n");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[1].line, 2);
  EXPECT_EQ(records[2].line, 3);
  EXPECT_EQ(records[2].fields, (std::vector<CsvField>{"4", "5", "6"}));
}

TEST(Csv, AnUnquotedEmptyFieldIsNullAndAQuotedOneAnEmptyString) {
  const auto records = read_all("a,b,c\n,\"\",x\n");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].fields[0], std::nullopt);
  EXPECT_EQ(records[1].fields[1], std::optional<std::string>(""));
  EXPECT_EQ(records[1].fields[2], std::optional<std::string>("x"));
  // A trailing empty field is NULL too.
  const auto trailing = read_all("a,b\nx,\n");
  EXPECT_EQ(trailing[1].fields[1], std::nullopt);
}

TEST(Csv, QuotedFieldsHoldCommasQuotesAndLineBreaks) {
  const auto records = read_all("id,note\n1,\"a, \"\"quoted\"\"\nsecond line\"\n2,plain\n");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[1].fields[1], std::optional<std::string>("a, \"quoted\"\nsecond line"));
  EXPECT_EQ(records[1].line, 2);
  EXPECT_EQ(records[2].line, 4);  // the record after a two-line field
}

TEST(Csv, CrLfEndsRecordsAndStaysInsideQuotes) {
  const auto records = read_all("a,b\r\n1,\"x\r\ny\"\r\n2,z\r\n");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[1].fields[1], std::optional<std::string>("x\r\ny"));
  EXPECT_EQ(records[2].fields, (std::vector<CsvField>{"2", "z"}));
  EXPECT_EQ(records[2].line, 4);
}

TEST(Csv, SkipsAByteOrderMarkAndReadsALastLineWithoutNewline) {
  const auto records = read_all("\xEF\xBB\xBFtenant_id,x\n1,2");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].fields[0], std::optional<std::string>("tenant_id"));
  EXPECT_EQ(records[1].fields, (std::vector<CsvField>{"1", "2"}));
}

TEST(Csv, EveryErrorNamesItsLine) {
  EXPECT_EQ(error_of("a\n\"open\n\nnever closed"),
            "line 2: a quoted field is not closed before the end of the input");
  EXPECT_EQ(error_of("a,b\n1,2\nx\"y,3\n"),
            "line 3: a quote inside an unquoted field (quote the whole field)");
  EXPECT_EQ(error_of("a\n\"x\"y\n"),
            "line 2: a closing quote followed by 'y' instead of a comma or the end of the line");
  EXPECT_EQ(error_of("a\n1\r2\n"), "line 2: a carriage return not followed by a line feed");
  // After an error the reader stays at it.
  CsvReader reader(std::string_view("a\n\"x\"y\n"));
  CsvRecord record;
  ASSERT_TRUE(reader.next(record).ok());
  EXPECT_FALSE(reader.next(record).ok());
  EXPECT_FALSE(reader.next(record).ok());
}

TEST(Csv, BoundsFieldsAndTheirSize) {
  CsvReader big(std::string("a\n") + std::string(100, 'x') + "\n",
                CsvLimits{.field_bytes_max = 10, .fields_max = 8});
  CsvRecord record;
  ASSERT_TRUE(big.next(record).ok());
  Result<bool> read = big.next(record);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().message, "line 2: a field is longer than 10 bytes");
  CsvReader wide(std::string_view("a,b,c\n"), CsvLimits{.field_bytes_max = 10, .fields_max = 2});
  read = wide.next(record);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().message, "line 1: more than 2 fields");
}

TEST(Csv, HeaderNamesAreNonEmptyAndUnique) {
  for (const auto& [text, message] : std::vector<std::pair<std::string, std::string>>{
           {"a,,c\n", "line 1: column 2 of the header has no name"},
           {"a,\"\",c\n", "line 1: column 2 of the header has no name"},
           {"a,b,a\n", "line 1: the header names column a twice"}}) {
    CsvReader reader(text);
    CsvRecord record;
    ASSERT_TRUE(reader.next(record).ok());
    Result<CsvHeader> header = CsvHeader::from(record);
    ASSERT_FALSE(header.ok()) << text;
    EXPECT_EQ(header.error().message, message);
  }
  CsvReader reader(std::string_view("tenant_id,type,extra\n"));
  CsvRecord record;
  ASSERT_TRUE(reader.next(record).ok());
  Result<CsvHeader> header = CsvHeader::from(record);
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header->find("type"), std::optional<std::size_t>(1));
  EXPECT_EQ(header->missing({"tenant_id", "credits", "created_at"}),
            (std::vector<std::string>{"credits", "created_at"}));
}

TEST(Csv, ReadsAcrossTheReadBuffer) {
  // Records straddling the reader's 64 KiB refills, quoted fields and all.
  std::string text = "a,b\n";
  const std::string long_field(600'000, 'q');
  text += "\"" + long_field + "\",\"" + long_field + "\"\n";
  text += "x,2\n";
  for (const bool streamed : {false, true}) {
    std::istringstream in(text);
    CsvReader reader = streamed ? CsvReader(in) : CsvReader(std::string_view(text));
    CsvRecord record;
    std::vector<CsvRecord> records;
    while (true) {
      Result<bool> read = reader.next(record);
      ASSERT_TRUE(read.ok()) << read.error().message;
      if (!*read) break;
      records.push_back(record);
    }
    ASSERT_EQ(records.size(), 3u);
    EXPECT_EQ(records[1].fields[0]->size(), long_field.size());
    EXPECT_EQ(records[1].fields[1]->size(), long_field.size());
    EXPECT_EQ(records[2].fields, (std::vector<CsvField>{"x", "2"}));
    EXPECT_EQ(records[2].line, 3);
  }
}

}  // namespace
}  // namespace lf::importer

// Reading CSV as PostgreSQL's `COPY ... TO ... WITH (FORMAT csv, HEADER)`
// writes it: comma separated, `"` quoting with `""` for a quote inside,
// quoted fields may span lines, an unquoted empty field is NULL and `""` an
// empty string; records end in LF or CRLF; a UTF-8 byte order mark at the
// start is skipped. Every error names the line it is on. Pure: reads from a
// std::istream or a string.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/result.hpp"

namespace lf::importer {

struct CsvLimits {
  std::size_t field_bytes_max = 1 << 20;  // one field
  std::size_t fields_max = 1024;          // fields in one record
};

// A field: its text, or nullopt for NULL (an unquoted empty field).
using CsvField = std::optional<std::string>;

struct CsvRecord {
  int64_t line = 0;  // the physical line the record starts on, from 1
  std::vector<CsvField> fields;
};

class CsvReader {
 public:
  // Reads from `in`, which must outlive the reader.
  explicit CsvReader(std::istream& in, CsvLimits limits = {});
  // Reads a copy of `text`.
  explicit CsvReader(std::string_view text, CsvLimits limits = {});

  // The next record into `record`: true, or false at the end of the input.
  // Errors (code "invalid_csv") say "line N: ..."; after one, the reader
  // stays at the error.
  Result<bool> next(CsvRecord& record);

  // The line the reader is on (for messages about the end of the input).
  int64_t line() const { return line_; }

 private:
  int get();   // next byte or -1 at the end
  int peek();  // next byte without consuming it, or -1
  bool fill();
  Error fail(int64_t line, const std::string& message);

  std::istream* in_;  // null when reading a string
  CsvLimits limits_;
  std::string buffer_;
  std::size_t position_ = 0;
  int64_t line_ = 1;
  bool started_ = false;
  bool at_end_ = false;
  std::optional<Error> error_;
};

// A CSV file's header: column names to positions.
class CsvHeader {
 public:
  // From the first record: every name non-NULL, non-empty and unique.
  static Result<CsvHeader> from(const CsvRecord& record);

  // The position of `column`, if the header has it.
  std::optional<std::size_t> find(std::string_view column) const;
  // Those of `columns` the header lacks, in the order given.
  std::vector<std::string> missing(const std::vector<std::string_view>& columns) const;
  std::size_t size() const { return names_.size(); }

 private:
  std::vector<std::string> names_;
};

}  // namespace lf::importer

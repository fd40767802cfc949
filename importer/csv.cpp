// The CSV reader (importer/csv.hpp): a byte at a time over a refilled buffer.
#include "importer/csv.hpp"

#include <algorithm>

namespace lf::importer {

namespace {

constexpr std::size_t kReadBytes = 64 << 10;
constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
constexpr const char* kInvalidCsv = "invalid_csv";

}  // namespace

CsvReader::CsvReader(std::istream& in, CsvLimits limits) : in_(&in), limits_(limits) {}

// A string is the whole buffer at once: nothing to read.
CsvReader::CsvReader(std::string_view text, CsvLimits limits)
    : in_(nullptr), limits_(limits), buffer_(text), at_end_(true) {}

bool CsvReader::fill() {
  if (at_end_) return false;
  buffer_.erase(0, position_);
  position_ = 0;
  const std::size_t kept = buffer_.size();
  buffer_.resize(kept + kReadBytes);
  in_->read(buffer_.data() + kept, static_cast<std::streamsize>(kReadBytes));
  const std::size_t got = static_cast<std::size_t>(in_->gcount());
  buffer_.resize(kept + got);
  if (got == 0) at_end_ = true;
  return got > 0;
}

int CsvReader::peek() {
  if (position_ == buffer_.size() && !fill()) return -1;
  return static_cast<unsigned char>(buffer_[position_]);
}

int CsvReader::get() {
  const int byte = peek();
  if (byte >= 0) ++position_;
  return byte;
}

Error CsvReader::fail(int64_t line, const std::string& message) {
  error_ = make_error(kInvalidCsv, "line " + std::to_string(line) + ": " + message);
  return *error_;
}

Result<bool> CsvReader::next(CsvRecord& record) {
  if (error_) return *error_;
  if (!started_) {
    started_ = true;
    for (const char expected : kByteOrderMark) {
      if (peek() != static_cast<unsigned char>(expected)) break;
      get();
    }
  }
  record.fields.clear();
  record.line = line_;
  if (peek() < 0) return false;
  std::string field;
  while (true) {
    // One field, then its separator.
    field.clear();
    bool quoted = false;
    int byte = peek();
    if (byte == '"') {
      quoted = true;
      const int64_t opened = line_;
      get();
      while (true) {
        byte = get();
        if (byte < 0)
          return fail(opened, "a quoted field is not closed before the end of the input");
        if (byte == '"') {
          if (peek() != '"') break;
          get();
        } else if (byte == '\n') {
          ++line_;
        }
        if (field.size() == limits_.field_bytes_max)
          return fail(opened, "a field is longer than " + std::to_string(limits_.field_bytes_max) +
                                  " bytes");
        field.push_back(static_cast<char>(byte));
      }
    } else {
      while (byte >= 0 && byte != ',' && byte != '\n' && byte != '\r') {
        if (byte == '"')
          return fail(line_, "a quote inside an unquoted field (quote the whole field)");
        if (field.size() == limits_.field_bytes_max)
          return fail(line_, "a field is longer than " + std::to_string(limits_.field_bytes_max) +
                                 " bytes");
        field.push_back(static_cast<char>(get()));
        byte = peek();
      }
    }
    if (record.fields.size() == limits_.fields_max)
      return fail(record.line, "more than " + std::to_string(limits_.fields_max) + " fields");
    if (!quoted && field.empty()) {
      record.fields.emplace_back(std::nullopt);
    } else {
      record.fields.emplace_back(field);
    }
    byte = get();
    if (byte == ',') continue;
    if (byte < 0) return true;
    if (byte == '\r') {
      if (get() != '\n') return fail(line_, "a carriage return not followed by a line feed");
      byte = '\n';
    }
    if (byte == '\n') {
      ++line_;
      return true;
    }
    return fail(line_, std::string("a closing quote followed by '") + static_cast<char>(byte) +
                           "' instead of a comma or the end of the line");
  }
}

Result<CsvHeader> CsvHeader::from(const CsvRecord& record) {
  CsvHeader header;
  for (std::size_t i = 0; i < record.fields.size(); ++i) {
    const CsvField& name = record.fields[i];
    if (!name || name->empty()) {
      return make_error(kInvalidCsv, "line " + std::to_string(record.line) + ": column " +
                                         std::to_string(i + 1) + " of the header has no name");
    }
    if (std::find(header.names_.begin(), header.names_.end(), *name) != header.names_.end()) {
      return make_error(kInvalidCsv, "line " + std::to_string(record.line) +
                                         ": the header names column " + *name + " twice");
    }
    header.names_.push_back(*name);
  }
  return header;
}

std::optional<std::size_t> CsvHeader::find(std::string_view column) const {
  for (std::size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == column) return i;
  }
  return std::nullopt;
}

std::vector<std::string> CsvHeader::missing(const std::vector<std::string_view>& columns) const {
  std::vector<std::string> absent;
  for (const std::string_view column : columns) {
    if (!find(column)) absent.emplace_back(column);
  }
  return absent;
}

}  // namespace lf::importer

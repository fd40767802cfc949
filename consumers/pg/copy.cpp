// COPY text-format encoding and array literals: the two ways row values
// travel to PostgreSQL without any SQL built from data.
#include "consumers/pg/copy.hpp"

#include <charconv>
#include <type_traits>

#include "events/assert.hpp"
#include "events/time.hpp"

namespace lf::pg {

namespace {

void append_int(std::string& out, int64_t value) {
  char digits[24];
  const auto [end, error] = std::to_chars(digits, digits + sizeof(digits), value);
  LF_ASSERT(error == std::errc{});
  out.append(digits, end);
}

// COPY text format: backslash, newline, carriage return and the delimiter
// (tab) must be escaped; every other byte (UTF-8 included) goes as is.
void append_copy_escaped(std::string& out, const std::string& text) {
  std::size_t run_start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    char escaped = 0;
    switch (c) {
      case '\\':
        escaped = '\\';
        break;
      case '\t':
        escaped = 't';
        break;
      case '\n':
        escaped = 'n';
        break;
      case '\r':
        escaped = 'r';
        break;
      default:
        continue;
    }
    out.append(text, run_start, i - run_start);
    out.push_back('\\');
    out.push_back(escaped);
    run_start = i + 1;
  }
  out.append(text, run_start, std::string::npos);
}

// Inside a double-quoted array element only backslash and double quote are
// special.
void append_array_escaped(std::string& out, const std::string& text) {
  std::size_t run_start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c != '\\' && c != '"') continue;
    out.append(text, run_start, i - run_start);
    out.push_back('\\');
    out.push_back(c);
    run_start = i + 1;
  }
  out.append(text, run_start, std::string::npos);
}

// The text form of a non-null value whose text needs no escaping in either
// format (numbers, booleans, timestamps, dates).
template <typename T>
void append_plain(std::string& out, const T& value) {
  if constexpr (std::is_same_v<T, int64_t>) {
    append_int(out, value);
  } else if constexpr (std::is_same_v<T, bool>) {
    out.push_back(value ? 't' : 'f');
  } else if constexpr (std::is_same_v<T, projections::Timestamp>) {
    out.append(format_rfc3339_ms(value.unix_ms));
  } else if constexpr (std::is_same_v<T, projections::Date>) {
    out.append(format_date_days(value.days));
  } else {
    static_assert(!sizeof(T), "not a plain value");
  }
}

}  // namespace

void append_copy_value(std::string& line, const projections::Value& value, bool first_column) {
  if (!first_column) line.push_back('\t');
  std::visit(
      [&line](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, projections::Null>) {
          line.append("\\N");
        } else if constexpr (std::is_same_v<T, std::string>) {
          append_copy_escaped(line, v);
        } else if constexpr (std::is_same_v<T, projections::Json>) {
          append_copy_escaped(line, v.text);
        } else {
          append_plain(line, v);
        }
      },
      value);
}

std::string array_literal(const std::vector<const projections::Value*>& values) {
  std::string literal;
  literal.reserve(2 + values.size() * 16);
  literal.push_back('{');
  bool first = true;
  for (const projections::Value* value : values) {
    LF_ASSERT(value != nullptr);
    if (!first) literal.push_back(',');
    first = false;
    std::visit(
        [&literal](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, projections::Null>) {
            literal.append("NULL");
            return;
          } else {
            literal.push_back('"');
            if constexpr (std::is_same_v<T, std::string>) {
              append_array_escaped(literal, v);
            } else if constexpr (std::is_same_v<T, projections::Json>) {
              append_array_escaped(literal, v.text);
            } else {
              append_plain(literal, v);
            }
            literal.push_back('"');
          }
        },
        *value);
  }
  literal.push_back('}');
  return literal;
}

namespace {

// An enum type's name goes into SQL text unquoted: only a plain lower-case
// identifier (from code) is accepted.
bool plain_identifier(const std::string& name) {
  if (name.empty() || name.size() > 63) return false;
  if (name.front() >= '0' && name.front() <= '9') return false;
  for (const char c : name) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!allowed) return false;
  }
  return true;
}

}  // namespace

std::string sql_type_name(const projections::Column& column) {
  LF_ASSERT_MSG(column.enum_type.empty() || column.type == projections::SqlType::enumeration,
                "only an enumeration column names an enum type");
  switch (column.type) {
    case projections::SqlType::text:
      return "text";
    case projections::SqlType::int64:
      return "bigint";
    case projections::SqlType::boolean:
      return "boolean";
    case projections::SqlType::timestamptz:
      return "timestamptz";
    case projections::SqlType::date:
      return "date";
    case projections::SqlType::jsonb:
      return "jsonb";
    case projections::SqlType::uuid:
      return "uuid";
    case projections::SqlType::int32:
      return "integer";
    case projections::SqlType::numeric:
      return "numeric";
    case projections::SqlType::inet:
      return "inet";
    case projections::SqlType::enumeration:
      LF_ASSERT_MSG(plain_identifier(column.enum_type),
                    "an enumeration column names its enum type");
      return column.enum_type;
  }
  LF_ASSERT_MSG(false, "unknown SqlType");
  return "";
}

}  // namespace lf::pg

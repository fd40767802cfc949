// Field values as PostgreSQL's CSV output spells them, read into what the
// import commands carry: uuids (lower case), integers, timestamptz (to the
// millisecond, UTC), dates. Each returns nullopt for text that is none.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lf::importer {

// 8-4-4-4-12 hex digits, either case -> lower case.
std::optional<std::string> read_uuid(std::string_view text);
// [+-]digits within int64.
std::optional<int64_t> read_integer(std::string_view text);
// timestamptz text: "2026-04-01 10:00:00+00", "2026-04-01 10:00:00.123456+05:30",
// "...+05:30:00" or RFC 3339 ("2026-04-01T10:00:00Z"); microseconds are
// truncated to milliseconds. A time without an offset is refused (it
// names no instant).
std::optional<int64_t> read_timestamp_ms(std::string_view text);
// "YYYY-MM-DD" -> days since 1970-01-01.
std::optional<int32_t> read_date_days(std::string_view text);

// The number of characters (code points) of `text` when it is well-formed
// UTF-8 (no overlong forms, surrogates or code points above U+10FFFF) and
// holds no NUL; nullopt otherwise.
std::optional<std::size_t> utf8_length(std::string_view text);

}  // namespace lf::importer

// PostgreSQL COPY text format and array literals, for bulk writes with no
// SQL built from data: values travel as COPY data or as one array parameter
// per column.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "projections/row_batch.hpp"

namespace lf::pg {

// Appends `value` to `line` in COPY text format (tab-separated, \N for null,
// backslash escapes). Call end_copy_row after the last column.
void append_copy_value(std::string& line, const projections::Value& value, bool first_column);
inline void end_copy_row(std::string& line) {
  line.push_back('\n');
}

// A PostgreSQL array literal ("{...}", every element quoted and escaped,
// NULL for nulls) of the given values, to be passed as one text parameter
// and cast to <type>[] in the statement.
std::string array_literal(const std::vector<const projections::Value*>& values);

// The array literal of one field of each item (`field(item)` gives a
// projections::Value).
template <typename Item, typename Field>
std::string array_of(const std::vector<Item>& items, Field field) {
  std::vector<projections::Value> values;
  values.reserve(items.size());
  for (const Item& item : items) values.emplace_back(field(item));
  std::vector<const projections::Value*> pointers;
  pointers.reserve(values.size());
  for (const projections::Value& value : values) pointers.push_back(&value);
  return array_literal(pointers);
}

// The SQL name of a column's type ("bigint", "timestamptz", "numeric", ...;
// an enumeration column's enum type name, e.g. "activity_priority"), for
// casts such as $1::<name>[].
std::string sql_type_name(const projections::Column& column);

}  // namespace lf::pg

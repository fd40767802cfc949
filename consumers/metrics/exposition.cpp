// Prometheus text exposition format 0.0.4.
#include "consumers/metrics/exposition.hpp"

#include <fmt/format.h>

#include "events/assert.hpp"

namespace lf::metrics {

namespace {

bool name_char(char c, bool first, bool colon_allowed) {
  const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  const bool digit = c >= '0' && c <= '9';
  return letter || (colon_allowed && c == ':') || (!first && digit);
}

bool valid_name(std::string_view name, bool colon_allowed) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!name_char(name[i], i == 0, colon_allowed)) return false;
  }
  return true;
}

std::string escape(std::string_view text, bool quotes) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '"':
        out += quotes ? "\\\"" : "\"";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  return escape(value, true);
}

std::string escape_help(std::string_view help) {
  return escape(help, false);
}

bool valid_metric_name(std::string_view name) {
  return valid_name(name, true);
}

bool valid_label_name(std::string_view name) {
  // Names starting with __ are reserved for Prometheus itself.
  return valid_name(name, false) && name.substr(0, 2) != "__";
}

void Exposition::family(std::string_view name, MetricType type, std::string_view help) {
  LF_ASSERT(valid_metric_name(name));
  LF_ASSERT_MSG(
      type != MetricType::counter || (name.size() > 6 && name.substr(name.size() - 6) == "_total"),
      "a counter's name ends in _total");
  const bool first = families_.insert(std::string(name)).second;
  LF_ASSERT_MSG(first, "a metric family appears once");
  current_ = name;
  text_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escape_help(help), name,
                       type == MetricType::counter ? "counter" : "gauge");
}

void Exposition::sample(const std::vector<Label>& labels, int64_t value) {
  LF_ASSERT_MSG(!current_.empty(), "a sample follows its family");
  text_ += current_;
  if (!labels.empty()) {
    text_ += '{';
    for (std::size_t i = 0; i < labels.size(); ++i) {
      LF_ASSERT(valid_label_name(labels[i].first));
      if (i > 0) text_ += ',';
      text_ += fmt::format("{}=\"{}\"", labels[i].first, escape_label_value(labels[i].second));
    }
    text_ += '}';
  }
  text_ += fmt::format(" {}\n", value);
}

}  // namespace lf::metrics

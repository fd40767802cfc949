// Prometheus text exposition format 0.0.4: metric families, each with its
// `# HELP` and `# TYPE` lines followed by its samples, label values escaped.
// Pure text; knows nothing of HTTP or of what is measured.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lf::metrics {

// The Content-Type of a scrape answer in this format.
inline constexpr const char* kExpositionContentType = "text/plain; version=0.0.4; charset=utf-8";

enum class MetricType { counter, gauge };

// A label of one sample: name="value".
using Label = std::pair<std::string, std::string>;

// A label value as it appears between the quotes: backslash, double quote and
// line feed escaped (\\, \", \n).
std::string escape_label_value(std::string_view value);
// A HELP text: backslash and line feed escaped.
std::string escape_help(std::string_view help);
// [a-zA-Z_:][a-zA-Z0-9_:]* for metric names, [a-zA-Z_][a-zA-Z0-9_]* for label names.
bool valid_metric_name(std::string_view name);
bool valid_label_name(std::string_view name);

// Builds one scrape's text. Samples follow the family they belong to; a
// family appears once. Names are chosen by code, not input: an invalid one,
// a counter not ending in _total, or a family given twice is a programming
// error (assertion).
class Exposition {
 public:
  // Starts a family: its HELP and TYPE lines.
  void family(std::string_view name, MetricType type, std::string_view help);
  // One sample of the current family.
  void sample(const std::vector<Label>& labels, int64_t value);
  void sample(int64_t value) { sample({}, value); }

  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::string current_;  // the family samples are added to
  std::set<std::string, std::less<>> families_;
};

}  // namespace lf::metrics

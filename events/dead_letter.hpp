// Dead-letter headers, following Kafka Connect's convention so existing
// tooling can read them: the origin (topic, partition, offset) and the error.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lf {

struct DeadLetterOrigin {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
};

// Header names.
inline constexpr std::string_view kDlqTopicHeader = "__connect.errors.topic";
inline constexpr std::string_view kDlqPartitionHeader = "__connect.errors.partition";
inline constexpr std::string_view kDlqOffsetHeader = "__connect.errors.offset";
inline constexpr std::string_view kDlqStageHeader = "__connect.errors.stage";
inline constexpr std::string_view kDlqClassHeader = "__connect.errors.exception.class.name";
inline constexpr std::string_view kDlqMessageHeader = "__connect.errors.exception.message";
inline constexpr std::string_view kDlqCodeHeader = "ledgerflow.error.code";

// The headers for a dead letter from `stage` ("engine" or "projector") with
// error `code` (e.g. "invalid_json") and a human `message`.
std::vector<std::pair<std::string, std::string>> dead_letter_headers(const DeadLetterOrigin& origin,
                                                                     std::string_view stage,
                                                                     std::string_view code,
                                                                     std::string_view message);

}  // namespace lf

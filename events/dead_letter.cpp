// Dead-letter headers in Kafka Connect's convention.
#include "events/dead_letter.hpp"

namespace lf {

std::vector<std::pair<std::string, std::string>> dead_letter_headers(const DeadLetterOrigin& origin,
                                                                     std::string_view stage,
                                                                     std::string_view code,
                                                                     std::string_view message) {
  return {
      {std::string(kDlqTopicHeader), origin.topic},
      {std::string(kDlqPartitionHeader), std::to_string(origin.partition)},
      {std::string(kDlqOffsetHeader), std::to_string(origin.offset)},
      {std::string(kDlqStageHeader), std::string(stage)},
      {std::string(kDlqClassHeader), "ledgerflow." + std::string(code)},
      {std::string(kDlqMessageHeader), std::string(message)},
      {std::string(kDlqCodeHeader), std::string(code)},
  };
}

}  // namespace lf

// The demo workload of `ledgerflow dev --demo`: two tenants' credits over a
// working day, sent through Kafka like any producer would, then a readable
// summary read back from the PostgreSQL read tables.
#pragma once

#include <string>

#include "consumers/kafka/kafka.hpp"

namespace lf::cli {

struct DemoOptions {
  kafka::Settings kafka;
  kafka::Topics topics;
  std::string database_url;
  int partitions = 0;
};

// Prints the summary on standard output; false if results or projections
// did not arrive in time.
bool run_demo(const DemoOptions& options);

}  // namespace lf::cli

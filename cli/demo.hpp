// The demo workload of `ledgerflow dev --demo`: two tenants' credits over a
// working day, then a day of one tenant's workflow (a media buy approved and
// activated, an agent activity with a credit-consuming run and a human
// review, open work in the queues, an approval that expires and escalates),
// a top-up order's life and the USD spend cap, and a third tenant's ledger
// imported from CSV with live commands after it; sent through Kafka like any
// producer would, each part followed by a readable summary read back from
// the PostgreSQL read tables.
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

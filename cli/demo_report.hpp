// The demo's summaries: each part's outcome read back from the PostgreSQL
// read tables and printed on standard output.
#pragma once

#include <string>

namespace lf::cli::demo {

// The balances, Acme's last ledger entries and the ledger invariant.
void print_summary(const std::string& database_url);
// The workflow tables, the queues, Acme's balance and its audit trail.
void print_workflow_summary(const std::string& database_url);
// Top-up orders, Globex's ledger around its order, the USD spend.
void print_money(const std::string& database_url);
// Initech's ledger, imported and live, and its balance.
void print_initech(const std::string& database_url);

}  // namespace lf::cli::demo

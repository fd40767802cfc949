// `ledgerflow dev --demo`, the README's main job, run as a user runs it: it
// plays the seed-shaped day (dates, normal priority, decimal budgets, a
// costed model run, review steps in human queues, a review that expires and
// is escalated, a seed audit row), prints what the read tables hold, keeps
// serving, and stops cleanly on SIGTERM.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/process.hpp"

namespace lf::testing {
namespace {

using namespace std::chrono_literals;

// The lines of standard output up to and including the first that starts
// with `last`, or what came before the deadline.
std::vector<std::string> read_until(ChildProcess& process, const std::string& last,
                                    std::chrono::seconds timeout) {
  std::vector<std::string> lines;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const std::optional<std::string> line =
        process.read_line(std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now()));
    if (!line) break;
    lines.push_back(*line);
    if (line->rfind(last, 0) == 0) break;
  }
  return lines;
}

// The line starting (after its indentation) with `prefix`; "" if none.
std::string line_of(const std::vector<std::string>& lines, const std::string& prefix) {
  for (const std::string& line : lines) {
    const std::size_t start = line.find_first_not_of(' ');
    if (start != std::string::npos && line.compare(start, prefix.size(), prefix) == 0) return line;
  }
  return "";
}

TEST(Demo, PlaysTheSeedShapedDayAndStopsCleanly) {
  const std::string log =
      (std::filesystem::temp_directory_path() / "ledgerflow-demo-test.log").string();
  ChildProcess dev({ledgerflow_binary(), "dev", "--demo"}, {}, log);
  const std::vector<std::string> lines = read_until(dev, "Demo done.", 300s);
  ASSERT_FALSE(lines.empty());
  ASSERT_EQ(lines.back().rfind("Demo done.", 0), 0u)
      << "the demo did not finish; see " << log << "; last line: " << lines.back();

  // Every command got the result the script means: accepted but for the
  // refusals it shows on purpose.
  const std::vector<std::pair<std::string, std::string>> refusals = {
      {"Acme: oversized reservation", "insufficient_credits"},
      {"Acme: agent tries to adjust", "forbidden"},
      {"Acme: same command sent again", "duplicate"},
      {"Acme: same order, new command", "duplicate_topup_order"},
      {"Acme: buying agent self-approves", "approval_required"},
      {"Globex: the same webhook again", "already_paid"},
      {"Globex: run past the spend cap", "spend_cap_reached"},
  };
  int accepted = 0;
  for (const std::string& line : lines) {
    if (line.rfind("  Acme: ", 0) != 0 && line.rfind("  Globex: ", 0) != 0) continue;
    if (line.find(" accepted ") != std::string::npos) {
      ++accepted;
      continue;
    }
    bool meant = line.find("to ledgerflow.deadletter") != std::string::npos ||
                 line.find("review reopened") != std::string::npos;
    for (const auto& [label, reason] : refusals) {
      meant = meant ||
              (line.find(label) != std::string::npos && line.find(reason) != std::string::npos);
    }
    EXPECT_TRUE(meant) << line;
  }
  EXPECT_GE(accepted, 50);

  // The seed-shaped day, as the read tables hold it.
  EXPECT_NE(line_of(lines, "Ledger invariant").find("2 of 2 tenants hold"), std::string::npos);
  EXPECT_NE(line_of(lines, "Acme: Lee never decides")
                .find("act-banner:approval:1:escalation:1 for user:rita"),
            std::string::npos);
  EXPECT_NE(line_of(lines, "mb-spring").find("20000.50 USD"), std::string::npos);
  EXPECT_NE(line_of(lines, "package display").find("5000.50 USD"), std::string::npos);
  EXPECT_NE(line_of(lines, "run-copy-1").find("claude-sonnet-4-6   0.042318"), std::string::npos);
  EXPECT_NE(line_of(lines, "act-copy ").find("completed"), std::string::npos);
  EXPECT_NE(line_of(lines, "act-copy ").find("normal"), std::string::npos);
  EXPECT_NE(line_of(lines, "act-copy:approval:1").find("revision_requested"), std::string::npos);
  EXPECT_NE(line_of(lines, "act-banner:approval:1:escalation:1").find("pending"),
            std::string::npos);
  // The human queue: Kim's review step before her own urgent task; Rita has
  // the escalated review.
  const std::string kim_review = line_of(lines, "user:kim   act-blog:review:1");
  const std::string kim_task = line_of(lines, "user:kim   act-landing");
  ASSERT_NE(kim_review, "");
  ASSERT_NE(kim_task, "");
  EXPECT_LT(std::find(lines.begin(), lines.end(), kim_review),
            std::find(lines.begin(), lines.end(), kim_task));
  EXPECT_NE(line_of(lines, "user:rita  act-banner:review:1").find("awaiting_approval"),
            std::string::npos);
  EXPECT_NE(line_of(lines, "analyst    act-report").find("normal"), std::string::npos);
  EXPECT_NE(line_of(lines, "update campaign/cmp-4411").find("from 203.0.113.24: PATCH"),
            std::string::npos);

  dev.signal(SIGTERM);
  // Money around credits: the order paid once though its webhook came twice,
  // 1,800 of its 5,000 credits used, the 3,200 left taken back at the
  // refund; the month's USD spend exact, and the cap met.
  EXPECT_NE(line_of(lines, "order_GX5000")
                .find("Globex     5000  4150.00 INR refunded      1800       3200         0"),
            std::string::npos);
  EXPECT_NE(line_of(lines, "topup_refunded").find("-3200"), std::string::npos);
  EXPECT_NE(line_of(lines, "Globex spent")
                .find("spent $0.051250 of a $0.0500 cap: 1 LLM calls ($0.031250"),
            std::string::npos);
  // Initech's imported ledger keeps this month's original times; the live
  // commands after it consume the hold the old platform left open.
  EXPECT_NE(line_of(lines, "7 rows of 1 tenant imported, 0 refused"), "");
  const std::string allocated = line_of(lines, "imported ");
  EXPECT_NE(allocated.find("-01 00:00:00 allocated    50000    50000"), std::string::npos)
      << allocated;
  EXPECT_NE(line_of(lines, "live ").find("released      1200    57800  import:run-in-2"),
            std::string::npos);
  EXPECT_NE(line_of(lines, "Initech now")
                .find("available 56900, reserved 4000, top-up 6700, effective 52900 (sum of its "
                      "ledger: 52900)"),
            std::string::npos);
  EXPECT_EQ(dev.wait(60s), std::optional<int>(0))
      << "ledgerflow dev did not stop cleanly on SIGTERM; see " << log;
}

// `-X` reaches the pipeline's Kafka clients under `ledgerflow dev` too (it
// once did not: dev built its client settings from the bootstrap alone), so
// a property librdkafka does not know stops dev with its name.
TEST(Demo, DevPassesKafkaPropertiesToItsClients) {
  const std::string log =
      (std::filesystem::temp_directory_path() / "ledgerflow-dev-property-test.log").string();
  ChildProcess dev({ledgerflow_binary(), "dev", "-X", "no.such.property=1"}, {}, log);
  const std::vector<std::string> lines = read_until(dev, "READY", 120s);
  EXPECT_TRUE(lines.empty() || lines.back() != "READY") << "dev started with an unknown property";
  EXPECT_EQ(dev.wait(60s), std::optional<int>(1));
  std::ifstream in(log);
  const std::string errors((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(errors.find("No such configuration property: \"no.such.property\""), std::string::npos)
      << errors;
}

}  // namespace
}  // namespace lf::testing

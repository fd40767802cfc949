// The soak's books: for every command sent, what the workload predicted,
// every result that came back on ledgerflow.results and every decision the
// chain rule accepted on ledgerflow.events; the client's fold of the
// balances from those results; and the per-command checks (exactly one
// decision, at least one result and never two decided ones, results and
// decisions agreeing, decisions as predicted). Pure: fed by the driver.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "events/envelope.hpp"
#include "tools/soak/workload.hpp"

namespace lf::soak {

// A kind of difference the soak counts; any is a failure.
enum class Problem : uint8_t {
  missing_result,      // a send (original or re-send) with no result
  missing_decision,    // a command with no accepted commit record
  double_decision,     // a command with two accepted commit records
  double_result,       // two results that are not duplicates (two decisions answered)
  result_disagrees,    // a result's status or seq is not its decision's
  unexpected_outcome,  // the decision (or its reason) is not the one the workload predicted
  archive,             // event_log does not hold the command's decision exactly once, at its seq
  balance,             // credit_balances differs from the client's fold
  verify,              // a read table differs from the fold of the log
  service_exit,        // a service exited on its own
};
inline constexpr int kProblemKinds = 10;
std::string_view to_string(Problem problem);

struct Track {
  uint32_t tenant = 0;
  Effect effect = Effect::none;
  bool expect_accepted = true;
  uint16_t expected_reason = 0;  // interned; 0: none
  int64_t amount = 0;
  uint32_t ref = 0;
  int64_t sent_ms = 0;
  uint16_t resends = 0;
  uint16_t results = 0;         // every result received for the command_id
  uint8_t decided_results = 0;  // those that are not `duplicate`
  int8_t result_accepted = -1;  // the first decided result: 1 accepted, 0 rejected, -1 none yet
  uint16_t result_reason = 0;
  int64_t result_seq = 0;         // the seq the first result named (0: none)
  bool results_disagree = false;  // two results named different seqs
  uint8_t decisions = 0;
  bool decision_rejected = false;
  uint16_t decision_reason = 0;
  int64_t decision_seq = 0;
};

// One line of the report.
struct Finding {
  Problem problem;
  std::string text;
};

// What an accepted commit record decided for its command: a rejection is a
// record holding one command.rejected event (with the reason).
struct DecisionView {
  bool rejected = false;
  std::string reason;
};
DecisionView decision_of(const DecodedRecord& record);

class Ledger {
 public:
  // Records a planned command (not a re-send) sent at `sent_ms`; indices
  // come in order from 0.
  void sent(const Planned& planned, int64_t sent_ms);
  void resent(uint32_t index);

  void on_result(const ResultEnvelope& result, int64_t now_ms);
  // An accepted commit record (the chain rule said so): its command_id,
  // seq, and whether it is a command.rejected (with its reason).
  void on_decision(std::string_view command_id, int64_t seq, bool rejected,
                   std::string_view reason);

  // Groups the tenants (the driver: by the partition their key goes to), so
  // that unanswered commands can be counted per group; tenants beyond
  // `group_of_tenant` are in group 0. Call before the first sent().
  void group_tenants(std::vector<uint32_t> group_of_tenant);
  // The most commands without any result in one group.
  int64_t most_unanswered_in_a_group() const;

  std::size_t commands() const { return tracks_.size(); }
  const Track& track(uint32_t index) const { return tracks_.at(index); }
  // Sends still without a result, and commands without a decision.
  std::size_t unanswered() const;
  std::size_t undecided() const;

  // The client's fold: each tenant's balance from the commands the results
  // (else the decision) say were accepted, applied in the order sent.
  std::vector<Balance> fold(std::size_t tenant_count) const;

  // The per-command checks; at most `examples` findings per problem are
  // listed, `counts` gets every one.
  std::vector<Finding> check(std::size_t examples, std::map<Problem, int64_t>& counts) const;

  // Figures.
  int64_t results_received() const { return results_received_; }
  // Commands with at least one result.
  int64_t first_answers() const { return first_answers_; }
  int64_t duplicate_results() const { return duplicate_results_; }
  int64_t decisions_accepted() const { return decisions_; }
  int64_t rejections() const { return rejections_; }
  int64_t timer_records() const { return timer_records_; }
  int64_t foreign_results() const { return foreign_results_; }
  int64_t foreign_decisions() const { return foreign_decisions_; }
  int64_t resends() const { return resends_; }
  int64_t result_latency_ms_max() const { return result_latency_ms_max_; }
  void reset_latency() { result_latency_ms_max_ = 0; }
  // Commands answered only by a re-sent (duplicate) result: their first
  // result was lost with the engine that decided them.
  int64_t answered_only_as_duplicate() const;

  uint16_t intern(std::string_view reason);
  const std::string& reason(uint16_t id) const { return reasons_.at(id); }

 private:
  uint32_t group_of(uint32_t tenant) const {
    return tenant < group_of_tenant_.size() ? group_of_tenant_[tenant] : 0;
  }

  std::vector<Track> tracks_;
  std::vector<uint32_t> group_of_tenant_;
  std::vector<int64_t> unanswered_in_group_{0};
  std::vector<std::string> reasons_{""};
  std::unordered_map<std::string, uint16_t> reason_ids_;
  int64_t results_received_ = 0;
  int64_t first_answers_ = 0;
  int64_t duplicate_results_ = 0;
  int64_t decisions_ = 0;
  int64_t rejections_ = 0;
  int64_t timer_records_ = 0;
  int64_t foreign_results_ = 0;
  int64_t foreign_decisions_ = 0;
  int64_t resends_ = 0;
  int64_t result_latency_ms_max_ = 0;
};

}  // namespace lf::soak

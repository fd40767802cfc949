// The soak's books (ledger.hpp).
#include "tools/soak/ledger.hpp"

#include <algorithm>

#include "events/assert.hpp"
#include "events/json.hpp"

namespace lf::soak {

std::string_view to_string(Problem problem) {
  switch (problem) {
    case Problem::missing_result:
      return "missing result";
    case Problem::missing_decision:
      return "missing decision";
    case Problem::double_decision:
      return "double decision";
    case Problem::double_result:
      return "double result";
    case Problem::result_disagrees:
      return "result disagrees with decision";
    case Problem::unexpected_outcome:
      return "unexpected outcome";
    case Problem::archive:
      return "archive";
    case Problem::balance:
      return "balance";
    case Problem::verify:
      return "verify";
    case Problem::service_exit:
      return "service exit";
  }
  return "?";
}

DecisionView decision_of(const DecodedRecord& record) {
  DecisionView view;
  if (record.events.size() != 1 || record.events.front().header.type != "command.rejected")
    return view;
  view.rejected = true;
  const DecodedEvent& event = record.events.front();
  if (event.payload != nullptr)
    view.reason = std::string(json_string(*event.payload, "reason").value_or(""));
  return view;
}

uint16_t Ledger::intern(std::string_view reason) {
  if (reason.empty()) return 0;
  auto found = reason_ids_.find(std::string(reason));
  if (found != reason_ids_.end()) return found->second;
  LF_ASSERT(reasons_.size() < 65'535);
  const auto id = static_cast<uint16_t>(reasons_.size());
  reasons_.emplace_back(reason);
  reason_ids_.emplace(std::string(reason), id);
  return id;
}

void Ledger::group_tenants(std::vector<uint32_t> group_of_tenant) {
  LF_ASSERT(tracks_.empty());
  group_of_tenant_ = std::move(group_of_tenant);
  uint32_t groups = 1;
  for (uint32_t group : group_of_tenant_) groups = std::max(groups, group + 1);
  unanswered_in_group_.assign(groups, 0);
}

int64_t Ledger::most_unanswered_in_a_group() const {
  return *std::max_element(unanswered_in_group_.begin(), unanswered_in_group_.end());
}

void Ledger::sent(const Planned& planned, int64_t sent_ms) {
  LF_ASSERT(!planned.resend_of && planned.index == tracks_.size());
  ++unanswered_in_group_[group_of(planned.tenant)];
  Track track;
  track.tenant = planned.tenant;
  track.effect = planned.effect;
  track.expect_accepted = planned.expect_accepted;
  track.expected_reason = intern(planned.reason);
  track.amount = planned.amount;
  track.ref = planned.ref;
  track.sent_ms = sent_ms;
  tracks_.push_back(track);
}

void Ledger::resent(uint32_t index) {
  Track& track = tracks_.at(index);
  LF_ASSERT(track.resends < 65'535);
  ++track.resends;
  ++resends_;
}

void Ledger::on_result(const ResultEnvelope& result, int64_t now_ms) {
  ++results_received_;
  const std::optional<uint32_t> index = command_index(result.command_id);
  if (!index || *index >= tracks_.size()) {
    ++foreign_results_;
    return;
  }
  Track& track = tracks_[*index];
  if (track.results == 0) {
    ++first_answers_;
    --unanswered_in_group_[group_of(track.tenant)];
    result_latency_ms_max_ = std::max(result_latency_ms_max_, now_ms - track.sent_ms);
  }
  if (track.results < 65'535) ++track.results;
  if (result.seq) {
    if (track.result_seq == 0) track.result_seq = *result.seq;
    if (track.result_seq != *result.seq) track.results_disagree = true;
  }
  if (result.status == ResultStatus::duplicate) {
    ++duplicate_results_;
    return;
  }
  if (track.decided_results < 255) ++track.decided_results;
  if (track.result_accepted < 0) {
    track.result_accepted = result.status == ResultStatus::accepted ? 1 : 0;
    track.result_reason = intern(result.reason);
  }
}

void Ledger::on_decision(std::string_view command_id, int64_t seq, bool rejected,
                         std::string_view reason) {
  if (command_id.starts_with("timer/")) {
    ++timer_records_;
    return;
  }
  const std::optional<uint32_t> index = command_index(command_id);
  if (!index || *index >= tracks_.size()) {
    ++foreign_decisions_;
    return;
  }
  ++decisions_;
  if (rejected) ++rejections_;
  Track& track = tracks_[*index];
  if (track.decisions < 255) ++track.decisions;
  if (track.decisions == 1) {
    track.decision_seq = seq;
    track.decision_rejected = rejected;
    track.decision_reason = intern(reason);
  }
}

std::size_t Ledger::unanswered() const {
  return static_cast<std::size_t>(
      std::count_if(tracks_.begin(), tracks_.end(),
                    [](const Track& track) { return track.results < 1 + track.resends; }));
}

std::size_t Ledger::undecided() const {
  return static_cast<std::size_t>(std::count_if(
      tracks_.begin(), tracks_.end(), [](const Track& track) { return track.decisions == 0; }));
}

int64_t Ledger::answered_only_as_duplicate() const {
  return std::count_if(tracks_.begin(), tracks_.end(), [](const Track& track) {
    return track.results > 0 && track.decided_results == 0;
  });
}

std::vector<Balance> Ledger::fold(std::size_t tenant_count) const {
  std::vector<Balance> balances(tenant_count);
  for (const Track& track : tracks_) {
    const bool accepted = track.result_accepted >= 0
                              ? track.result_accepted == 1
                              : track.decisions > 0 && !track.decision_rejected;
    if (!accepted || track.effect == Effect::none) continue;
    Balance& balance = balances.at(track.tenant);
    switch (track.effect) {
      case Effect::add:
        balance.effective_available += track.amount;
        break;
      case Effect::hold:
        balance.effective_available -= track.amount;
        balance.reserved += track.amount;
        break;
      case Effect::consume:
      case Effect::release: {
        const int64_t held = tracks_.at(track.ref).amount;
        const int64_t used = track.effect == Effect::consume ? track.amount : 0;
        balance.effective_available += held - used;
        balance.reserved -= held;
        balance.consumed += used;
        break;
      }
      case Effect::none:
        break;
    }
  }
  return balances;
}

std::vector<Finding> Ledger::check(std::size_t examples, std::map<Problem, int64_t>& counts) const {
  std::vector<Finding> findings;
  auto found = [&](Problem problem, uint32_t index, const std::string& what) {
    if (counts[problem]++ < static_cast<int64_t>(examples)) {
      findings.push_back(Finding{problem, command_id(index) + ": " + what});
    }
  };
  for (uint32_t index = 0; index < tracks_.size(); ++index) {
    const Track& t = tracks_[index];
    if (t.results < 1 + t.resends) {
      found(Problem::missing_result, index,
            std::to_string(t.results) + " result(s) for " + std::to_string(1 + t.resends) +
                " send(s)");
    }
    if (t.decisions == 0) found(Problem::missing_decision, index, "no accepted commit record");
    if (t.decisions > 1)
      found(Problem::double_decision, index,
            std::to_string(t.decisions) + " accepted commit records");
    if (t.decided_results > 1) {
      found(Problem::double_result, index,
            std::to_string(t.decided_results) + " results that are not duplicates");
    }
    if (t.results_disagree)
      found(Problem::result_disagrees, index, "its results name different seqs");
    if (t.decisions == 0) continue;
    const std::string decision =
        std::string(t.decision_rejected ? "rejected " + reason(t.decision_reason) : "accepted") +
        " at seq " + std::to_string(t.decision_seq);
    if (t.result_seq != 0 && t.result_seq != t.decision_seq) {
      found(Problem::result_disagrees, index,
            "result names seq " + std::to_string(t.result_seq) + ", decision " + decision);
    } else if (t.result_accepted >= 0 && ((t.result_accepted == 1) == t.decision_rejected ||
                                          t.result_reason != t.decision_reason)) {
      found(Problem::result_disagrees, index,
            std::string("result ") +
                (t.result_accepted == 1 ? "accepted" : "rejected " + reason(t.result_reason)) +
                ", decision " + decision);
    }
    if (t.expect_accepted == t.decision_rejected ||
        (!t.expect_accepted && t.expected_reason != t.decision_reason)) {
      found(Problem::unexpected_outcome, index,
            "expected " +
                (t.expect_accepted ? std::string("accepted")
                                   : "rejected " + reason(t.expected_reason)) +
                ", decision " + decision);
    }
  }
  return findings;
}

}  // namespace lf::soak

// Seeded random command sequences (TigerBeetle's VOPR habit): every command
// type (top-up orders' too) with valid and invalid amounts, known and unknown
// ids, time moving on
// and timers fired whenever they fall due. After every step the invariants
// of docs/domains/credits.md hold and the snapshot round-trips; at the end
// of a sequence a fresh fold of its log equals the live state.
//
// Replay one sequence: LEDGERFLOW_SEED=<seed> lf_credits_tests --gtest_filter='*RandomSequences*'
// An LF_ASSERT abort prints the seed and step too (see the SIGABRT handler).
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>

#include <unistd.h>

#include <gtest/gtest.h>

#include "engine/credits/codec.hpp"
#include "engine/credits/period.hpp"
#include "events/time.hpp"
#include "tests/unit/credits/harness.hpp"

namespace lf::engine::credits::testing {
namespace {

constexpr int kSequences = 2'000;
constexpr int kStepsPerSequence = 200;
constexpr uint64_t kSeedBase = 0x1ed6e7f10'0000;

// What an abort prints, prepared before each step (a signal handler may only
// call async-signal-safe functions such as write).
char g_replay_line[160] = "";
// Renewals in a zone other than UTC across all sequences: the dates path is
// exercised, not only generated.
int g_zone_renewals = 0;
// Top-up order refunds, and those that met holds (a lapsing lot held over).
int g_refunds = 0;
int g_refunds_held = 0;

extern "C" void print_replay_line(int) {
  const ssize_t ignored = write(STDERR_FILENO, g_replay_line, std::strlen(g_replay_line));
  (void)ignored;
}

class Sequence {
 public:
  explicit Sequence(uint64_t seed) : random_(seed), harness_(start_ms(seed)) {}

  void step() {
    advance_time();
    fire_due();
    issue_command();
    check_invariants();
  }

  // A fresh fold of every event so far reaches the same state.
  void check_replay() const {
    State replayed;
    for (const Applied& applied : harness_.applied()) {
      EventHeader header;
      header.type = applied.event.type;
      header.schema_version = applied.event.schema_version;
      header.stream = applied.event.stream;
      evolve(replayed, header, *applied.payload);
    }
    EXPECT_EQ(replayed, harness_.state());
  }

  const Harness& harness() const { return harness_; }

 private:
  static int64_t start_ms(uint64_t seed) {
    return *parse_rfc3339_ms("2026-01-01T00:00:00Z") +
           static_cast<int64_t>(seed % 365) * kMillisPerDay;
  }

  int64_t uniform(int64_t low, int64_t high) {
    return std::uniform_int_distribution<int64_t>(low, high)(random_);
  }
  bool chance(int percent) { return uniform(1, 100) <= percent; }

  void advance_time() {
    const int roll = static_cast<int>(uniform(1, 100));
    int64_t step_ms = 0;
    if (roll <= 60)
      step_ms = uniform(0, 10 * 60 * 1000);
    else if (roll <= 90)
      step_ms = uniform(0, kMillisPerHour);
    else if (roll <= 98)
      step_ms = uniform(0, 5 * kMillisPerDay);
    else
      step_ms = uniform(0, 150 * kMillisPerDay);
    harness_.set_now(harness_.now() + step_ms);
  }

  void fire_due() {
    for (int firing = 0; firing < 100; ++firing) {
      const std::optional<int64_t> next = next_due_ms(harness_.state());
      if (!next || *next > harness_.now()) return;
      const std::size_t before = harness_.applied().size();
      EXPECT_FALSE(harness_.tick().empty());
      check_events_since(before);
    }
    ADD_FAILURE() << "timers kept falling due";
  }

  std::string timestamp(int64_t unix_ms) { return quoted(format_rfc3339_ms(unix_ms)); }

  int64_t amount() {
    const int roll = static_cast<int>(uniform(1, 100));
    if (roll <= 70) return uniform(1, 400);
    if (roll <= 95) return uniform(1, 5'000);
    return uniform(1, kCreditsPerCommandMax);
  }

  std::string reservation_id() {
    if (chance(85) && !harness_.state().reservations.empty()) {
      auto it = harness_.state().reservations.begin();
      std::advance(it, uniform(0, static_cast<int64_t>(harness_.state().reservations.size()) - 1));
      return it->first;
    }
    return "r" + std::to_string(uniform(0, 60));
  }

  // Dates in one of a few zones (DST, half-hour offsets, a skipped
  // midnight), sometimes without naming the zone (the current one stays).
  std::string allocate_dates() {
    static const char* kZones[] = {"UTC", "Asia/Kolkata", "America/New_York", "Australia/Lord_Howe",
                                   "America/Santiago"};
    const char* zone_name = kZones[uniform(0, 4)];
    const TimeZone* zone = TimeZoneDb::system().find(zone_name);
    EXPECT_NE(zone, nullptr) << zone_name;
    if (zone == nullptr) return "{}";
    const int32_t today = zone->local_day(harness_.now());
    int32_t start = today - static_cast<int32_t>(uniform(0, 20));
    int32_t end = 0;
    switch (uniform(0, 3)) {
      case 0:
        end = add_months_days(start, static_cast<int32_t>(uniform(1, 3))) - 1;
        break;
      case 1:
        end = start + static_cast<int32_t>(uniform(0, 40));
        break;  // may leave now outside: invalid_period
      case 2:
        end = start - static_cast<int32_t>(uniform(1, 3));
        break;  // invalid_period
      default:
        start = today;
        end = add_months_days(start, 1) - 1;
        break;
    }
    return allocate_payload(chance(10) ? 0 : amount(), format_date_days(start),
                            format_date_days(end), chance(30) ? "" : zone_name);
  }

  std::string allocate() {
    if (chance(50)) return allocate_dates();
    const int64_t now = harness_.now();
    int64_t start = now - uniform(0, 20 * kMillisPerDay);
    int64_t end = 0;
    switch (uniform(0, 3)) {
      case 0:
        end = add_months_ms(start, static_cast<int32_t>(uniform(1, 3)));
        break;
      case 1:
        end = start + uniform(1, 40 * kMillisPerDay);
        break;  // may leave now outside: invalid_period
      case 2:
        end = start - uniform(0, kMillisPerDay);
        break;  // invalid_period
      default:
        start = now;
        end = add_months_ms(start, 1);
        break;
    }
    return "{\"credits_monthly\":" + std::to_string(chance(10) ? 0 : amount()) +
           ",\"period_start\":" + timestamp(start) + ",\"period_end\":" + timestamp(end) + "}";
  }

  std::string optional_expiry(int percent, int64_t span_ms) {
    if (!chance(percent)) return "";
    return ",\"expires_at\":" + timestamp(harness_.now() + uniform(-span_ms / 10, span_ms));
  }

  // An order id: mostly one the tenant has, else one of a small pool that
  // also meets credits.topup's ids (duplicate_topup_order both ways).
  // `wanted`: usually one in that status, when there is one.
  std::string order_id(std::optional<TopupOrderStatus> wanted = std::nullopt) {
    const auto& orders = harness_.state().topup_orders;
    if (wanted && chance(60)) {
      std::vector<const std::string*> ids;
      for (const auto& [id, order] : orders) {
        if (order.status == *wanted) ids.push_back(&id);
      }
      if (!ids.empty()) return *ids[uniform(0, static_cast<int64_t>(ids.size()) - 1)];
    }
    if (chance(70) && !orders.empty()) {
      auto it = orders.begin();
      std::advance(it, uniform(0, static_cast<int64_t>(orders.size()) - 1));
      return it->first;
    }
    return (chance(80) ? "p" : "o") + std::to_string(uniform(0, 40));
  }

  std::string order_price() {
    switch (uniform(0, 4)) {
      case 0:
        return ",\"amount_minor\":" + std::to_string(uniform(0, 10'000'000));
      case 1:
        return ",\"amount\":\"" + std::to_string(uniform(0, 99'999)) + "." +
               std::to_string(uniform(10, 99)) + "\"";
      case 2:
        return ",\"amount\":" + std::to_string(uniform(0, 5'000)) + ",\"currency\":\"USD\"";
      case 3:
        return ",\"amount\":\"1.005\"";  // invalid_amount: paise have two decimals
      default:
        return "";  // invalid_amount: no price
    }
  }

  // The life of top-up orders: created by anyone, settled by the webhook
  // (system) or the back office, sometimes by an actor who may not.
  void order_command() {
    static const char* kSettlers[] = {"system", "system", "admin:ops", "support:desk", "user:u1"};
    const std::string actor = kSettlers[uniform(0, 4)];
    const int roll = static_cast<int>(uniform(1, 100));
    const std::string id = "{\"topup_order_id\":" +
                           quoted(order_id(roll <= 35   ? std::nullopt
                                           : roll <= 80 ? std::optional(TopupOrderStatus::pending)
                                                        : std::optional(TopupOrderStatus::paid)));
    if (roll <= 35) {
      return run("topup_order.create",
                 id + ",\"credits\":" + std::to_string(amount()) + order_price() +
                     optional_expiry(30, 20 * kMillisPerDay) + "}",
                 "user:billing");
    }
    if (roll <= 70) {
      const std::string paid_at =
          chance(30) ? ",\"paid_at\":" + timestamp(harness_.now() - uniform(0, 60'000)) : "";
      return run("topup_order.pay", id + paid_at + "}", actor);
    }
    if (roll <= 80) return run("topup_order.fail", id + ",\"reason\":\"declined\"}", actor);
    run("topup_order.refund", id + "}", actor);
  }

  void issue_command() {
    const int roll = static_cast<int>(uniform(1, 100));
    if (roll <= 4) return run("credits.allocate", allocate());
    if (roll <= 10) {
      return run("credits.topup",
                 topup_payload("o" + std::to_string(uniform(0, 300)), amount(),
                               optional_expiry(40, 20 * kMillisPerDay)),
                 "user:billing");
    }
    if (roll <= 22) return order_command();
    if (roll <= 48) {
      // Sometimes all that is left, so that expiries meet holds.
      const int64_t effective = harness_.balance().effective_available;
      const int64_t credits =
          chance(15) && effective > 0 ? std::min(effective, kCreditsPerCommandMax) : amount();
      return run(
          "credits.reserve",
          reserve_payload(chance(80) ? "r" + std::to_string(uniform(0, 60)) : reservation_id(),
                          credits, optional_expiry(30, 3 * kMillisPerHour)),
          "agent:runner");
    }
    if (roll <= 68) {
      const std::string id = reservation_id();
      auto open = harness_.state().reservations.find(id);
      const int64_t held = open == harness_.state().reservations.end() ? 100 : open->second.credits;
      const int64_t credits =
          chance(90) ? uniform(0, held) : std::min(held + uniform(1, 50), kCreditsPerCommandMax);
      return run("credits.consume", consume_payload(id, credits));
    }
    if (roll <= 76) return run("credits.release", release_payload(reservation_id()));
    if (roll <= 82) return run("credits.refund", amount_payload(amount()), "support:desk");
    if (roll <= 94) {
      static const char* kActors[] = {"admin:ops", "support:desk", "agent:planner", "system"};
      const int64_t credits = chance(50) ? amount() : -amount();
      return run("credits.adjust", amount_payload(credits), kActors[uniform(0, 3)]);
    }
    issue_invalid_command();
  }

  // Amounts the schemas refuse: the decider must reject them, not fail.
  void issue_invalid_command() {
    switch (uniform(0, 4)) {
      case 4:
        return run("topup_order.create", "{\"topup_order_id\":\"p1\",\"credits\":0,\"amount\":1}",
                   "system", false);
      case 0:
        return run("credits.reserve", reserve_payload("r1", 0), "system", false);
      case 1:
        return run("credits.adjust", amount_payload(0), "admin:ops", false);
      case 2:
        return run("credits.consume", consume_payload("r1", -uniform(1, 10)), "system", false);
      default:
        return run("credits.topup", topup_payload("o1", kCreditsPerCommandMax + 1), "system",
                   false);
    }
  }

  void run(const std::string& type, const std::string& payload, const std::string& actor = "system",
           bool schema_valid = true) {
    const std::size_t before = harness_.applied().size();
    const Decision decision = harness_.run(type, payload, actor, schema_valid);
    if (!schema_valid) {
      EXPECT_FALSE(decision.accepted()) << type << " " << payload;
    }
    check_events_since(before);
  }

  // Per event: the balance it carries is the state's after it (evolve
  // asserts it too), and no consumption exceeds its reservation.
  void check_events_since(std::size_t first) {
    const std::vector<Applied>& applied = harness_.applied();
    for (std::size_t i = first; i < applied.size(); ++i) {
      const Applied& event = applied[i];
      if (event.event.type == "credits.allocated" &&
          json_string(*event.payload, "reason") == "renewal" &&
          json_string(*event.payload, "timezone") != "UTC") {
        ++g_zone_renewals;
      }
      const std::optional<std::string_view> id = json_string(*event.payload, "reservation_id");
      if (event.event.type == "credits.reserved")
        held_[std::string(*id)] = *json_int64(*event.payload, "credits");
      if (event.event.type == "credits.consumed") {
        EXPECT_LE(*json_int64(*event.payload, "credits"), held_.at(std::string(*id)));
      }
      EXPECT_GE(event.effective_after, 0);
      if (event.event.type == "topup_order.refunded") {
        ++g_refunds;
        const rapidjson::Value& refund = *event.payload;
        EXPECT_EQ(*json_int64(refund, "credits_consumed") + *json_int64(refund, "credits_expired") +
                      *json_int64(refund, "credits_taken_back") +
                      *json_int64(refund, "credits_held_over"),
                  *json_int64(refund, "credits_granted"));
        if (*json_int64(refund, "credits_held_over") > 0) ++g_refunds_held;
      }
    }
    // The last credits.* event carries the balance (topup_order.* events carry none).
    for (std::size_t i = applied.size(); i > first; --i) {
      if (!applied[i - 1].event.type.starts_with("credits.")) continue;
      EXPECT_EQ(decode_balance(*applied[i - 1].payload), harness_.balance());
      break;
    }
  }

  void check_invariants() {
    const State& state = harness_.state();
    EXPECT_FALSE(state_invariant_violation(state).has_value());
    EXPECT_GE(harness_.balance().effective_available, 0);
    EXPECT_EQ(harness_.ledger_sum(), harness_.balance().effective_available);
    const std::optional<int64_t> next = next_due_ms(state);
    EXPECT_TRUE(!next || *next > harness_.now() ||
                !due(state, kTenant, Context{harness_.now()}).empty());
    JsonWriter writer;
    write_state(writer, state);
    Result<State> read = read_state(*parse_json(writer.view()));
    ASSERT_TRUE(read.ok()) << read.error().message;
    EXPECT_EQ(*read, state);
  }

  std::mt19937_64 random_;
  Harness harness_;
  std::map<std::string, int64_t> held_;  // the last reservation of each id
};

void run_sequence(uint64_t seed) {
  SCOPED_TRACE("replay with LEDGERFLOW_SEED=" + std::to_string(seed));
  Sequence sequence(seed);
  for (int step = 0; step < kStepsPerSequence; ++step) {
    std::snprintf(g_replay_line, sizeof(g_replay_line),
                  "credits property test: replay with LEDGERFLOW_SEED=%llu (failed at step %d)\n",
                  static_cast<unsigned long long>(seed), step);
    sequence.step();
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "seed " << seed << " failed at step " << step;
      return;
    }
  }
  sequence.check_replay();
}

// LEDGERFLOW_PROPERTY_SEQUENCES=N runs the first N sequences only: the
// sanitizer build (scripts/test.sh) runs about 25 times slower and takes a
// sample.
int sequences() {
  const char* count = std::getenv("LEDGERFLOW_PROPERTY_SEQUENCES");
  if (count == nullptr) return kSequences;
  const long parsed = std::strtol(count, nullptr, 10);
  return parsed > 0 && parsed < kSequences ? static_cast<int>(parsed) : kSequences;
}

TEST(Credits, RandomSequencesKeepTheInvariants) {
  std::signal(SIGABRT, print_replay_line);
  if (const char* seed = std::getenv("LEDGERFLOW_SEED")) {
    run_sequence(std::strtoull(seed, nullptr, 10));
  } else {
    const int count = sequences();
    for (int i = 0; i < count && !::testing::Test::HasFailure(); ++i) run_sequence(kSeedBase + i);
    // At least one in twenty sequences renews a period in a time zone.
    EXPECT_GT(g_zone_renewals, count / 20) << count << " sequences";
    // Orders are refunded, and some refunds meet open holds.
    EXPECT_GT(g_refunds, count / 2) << count << " sequences";
    EXPECT_GT(g_refunds_held, count / 200) << count << " sequences";
  }
  std::signal(SIGABRT, SIG_DFL);
}

}  // namespace
}  // namespace lf::engine::credits::testing

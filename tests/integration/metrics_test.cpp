// The Prometheus endpoint of `ledgerflow engine`, `project` and `dev`
// (--metrics-port), scraped over HTTP like Prometheus would: the projector's
// positions and lag equal what `ledgerflow status --json` reports and reach
// 0 once it has caught up, the engine's result counters equal the results
// the commands got, every scrape is valid exposition text; an unreachable
// database or broker answers 503 with a reason, in bounded time.
#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>

#include "consumers/client/command_client.hpp"
#include "consumers/metrics/exposition.hpp"
#include "consumers/metrics/http_server.hpp"
#include "consumers/metrics/projection_metrics.hpp"
#include "consumers/os/ports.hpp"
#include "events/json.hpp"
#include "events/partitioner.hpp"
#include "events/time.hpp"
#include "projections/projection.hpp"
#include "projections/registry.hpp"
#include "tests/support/commands.hpp"
#include "tests/support/fleet.hpp"
#include "tests/support/kafka_fixture.hpp"
#include "tests/support/payloads.hpp"
#include "tests/support/pg_fixture.hpp"
#include "tests/support/pipeline/pipeline.hpp"
#include "tests/support/process.hpp"
#include "tests/support/wait.hpp"

namespace lf::testing {
namespace {

using namespace std::chrono_literals;

// ---- scraping and parsing --------------------------------------------------------

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  int64_t value = 0;
};

// One scrape, parsed. `format_errors` lists every way the text departs from
// the exposition format (a sample without a TYPE before it, a bad escape...).
struct Scrape {
  int status = 0;  // 0: no answer
  std::string body;
  std::map<std::string, std::string> types;  // family -> counter/gauge
  std::vector<Sample> samples;
  std::vector<std::string> format_errors;

  std::vector<Sample> family(const std::string& name) const {
    std::vector<Sample> found;
    for (const Sample& sample : samples) {
      if (sample.name == name) found.push_back(sample);
    }
    return found;
  }
  // The value of the one sample of `name` with these labels (nullopt: none).
  std::optional<int64_t> value(const std::string& name,
                               const std::map<std::string, std::string>& labels = {}) const {
    for (const Sample& sample : samples) {
      if (sample.name == name && sample.labels == labels) return sample.value;
    }
    return std::nullopt;
  }
};

bool name_char(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
         (!first && c >= '0' && c <= '9');
}

// Parses `{name="value",...}` at text[at] (just after the '{'); returns the
// position after the '}' or npos with an error.
std::size_t parse_labels(const std::string& line, std::size_t at,
                         std::map<std::string, std::string>& labels, std::string& error) {
  while (at < line.size() && line[at] != '}') {
    const std::size_t equals = line.find('=', at);
    if (equals == std::string::npos || equals + 1 >= line.size() || line[equals + 1] != '"') {
      error = "label without =\"";
      return std::string::npos;
    }
    const std::string name = line.substr(at, equals - at);
    std::string value;
    std::size_t i = equals + 2;
    for (; i < line.size() && line[i] != '"'; ++i) {
      if (line[i] != '\\') {
        value += line[i];
        continue;
      }
      if (++i >= line.size()) break;
      if (line[i] == 'n')
        value += '\n';
      else if (line[i] == '\\' || line[i] == '"')
        value += line[i];
      else {
        error = "bad escape \\" + std::string(1, line[i]);
        return std::string::npos;
      }
    }
    if (i >= line.size()) {
      error = "unterminated label value";
      return std::string::npos;
    }
    if (!labels.emplace(name, value).second) {
      error = "label " + name + " twice";
      return std::string::npos;
    }
    at = i + 1;
    if (at < line.size() && line[at] == ',') ++at;
  }
  if (at >= line.size()) {
    error = "unterminated label set";
    return std::string::npos;
  }
  return at + 1;
}

void parse_exposition(Scrape& scrape) {
  std::set<std::string> helped;
  std::size_t start = 0;
  int number = 0;
  while (start < scrape.body.size()) {
    std::size_t end = scrape.body.find('\n', start);
    if (end == std::string::npos) {
      scrape.format_errors.push_back("the text does not end in a line feed");
      end = scrape.body.size();
    }
    const std::string line = scrape.body.substr(start, end - start);
    start = end + 1;
    ++number;
    auto fail = [&](const std::string& what) {
      scrape.format_errors.push_back("line " + std::to_string(number) + ": " + what + ": " + line);
    };
    if (line.rfind("# HELP ", 0) == 0) {
      const std::string name = line.substr(7, line.find(' ', 7) - 7);
      if (!helped.insert(name).second) fail("second HELP");
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      const std::size_t space = line.find(' ', 7);
      const std::string name = line.substr(7, space - 7);
      const std::string type = space == std::string::npos ? "" : line.substr(space + 1);
      if (type != "counter" && type != "gauge") fail("unknown type");
      if (!scrape.types.emplace(name, type).second) fail("second TYPE");
      if (type == "counter" && (name.size() < 6 || name.substr(name.size() - 6) != "_total"))
        fail("counter without _total");
      continue;
    }
    if (line.empty() || line[0] == '#') {
      fail("unexpected line");
      continue;
    }
    Sample sample;
    std::size_t at = 0;
    while (at < line.size() && name_char(line[at], at == 0)) ++at;
    sample.name = line.substr(0, at);
    if (sample.name.empty()) {
      fail("no metric name");
      continue;
    }
    if (at < line.size() && line[at] == '{') {
      std::string error;
      at = parse_labels(line, at + 1, sample.labels, error);
      if (at == std::string::npos) {
        fail(error);
        continue;
      }
    }
    if (at >= line.size() || line[at] != ' ') {
      fail("no space before the value");
      continue;
    }
    try {
      std::size_t used = 0;
      sample.value = std::stoll(line.substr(at + 1), &used);
      if (at + 1 + used != line.size()) fail("trailing text after the value");
    } catch (const std::exception&) {
      fail("value is not an integer");
      continue;
    }
    if (scrape.types.count(sample.name) == 0) fail("sample before its TYPE line");
    scrape.samples.push_back(std::move(sample));
  }
}

Scrape scrape(int port, const std::string& path = "/metrics") {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5s);
  client.set_read_timeout(30s);
  Scrape result;
  httplib::Result answer = client.Get(path.c_str());
  if (!answer) return result;
  result.status = answer->status;
  result.body = answer->body;
  if (result.status == 200 && path == "/metrics") {
    EXPECT_EQ(answer->get_header_value("Content-Type"), metrics::kExpositionContentType);
    parse_exposition(result);
  }
  return result;
}

// ---- the figures compared ------------------------------------------------------

struct Position {
  int64_t next_offset = 0, last_seq = 0, log_end = 0, lag = 0, ignored = 0, deadlettered = 0;
  bool operator==(const Position&) const = default;
};
using Positions = std::map<std::pair<std::string, int32_t>, Position>;

std::string describe(const Positions& positions) {
  std::string out;
  for (const auto& [key, p] : positions) {
    out += key.first + "/" + std::to_string(key.second) + ": next " +
           std::to_string(p.next_offset) + " seq " + std::to_string(p.last_seq) + " end " +
           std::to_string(p.log_end) + " lag " + std::to_string(p.lag) + " ignored " +
           std::to_string(p.ignored) + " dead " + std::to_string(p.deadlettered) + "\n";
  }
  return out;
}

Positions positions_of(const Scrape& scrape) {
  Positions positions;
  const std::vector<std::pair<std::string, int64_t Position::*>> families = {
      {"ledgerflow_projection_next_offset", &Position::next_offset},
      {"ledgerflow_projection_last_seq", &Position::last_seq},
      {"ledgerflow_projection_log_end_offset", &Position::log_end},
      {"ledgerflow_projection_lag", &Position::lag},
      {"ledgerflow_projection_ignored_total", &Position::ignored},
      {"ledgerflow_projection_deadlettered_total", &Position::deadlettered},
  };
  for (const auto& [name, member] : families) {
    for (const Sample& sample : scrape.family(name)) {
      const auto key =
          std::make_pair(sample.labels.at("projection"), std::stoi(sample.labels.at("partition")));
      positions[key].*member = sample.value;
    }
  }
  return positions;
}

// `ledgerflow status --json`, as an operator runs it.
Positions status_positions(const Infrastructure& infra) {
  auto [code, output] = run_command({ledgerflow_binary(), "status", "--json"}, 60s, std::nullopt,
                                    {{"KAFKA_BOOTSTRAP", infra.bootstrap()},
                                     {"DATABASE_URL", infra.database_url()},
                                     {"LEDGERFLOW_LOG_LEVEL", "warn"}});
  EXPECT_EQ(code, 0) << output;
  Positions positions;
  Result<std::unique_ptr<rapidjson::Document>> document = parse_json_bounded(output, JsonLimits{});
  if (!document.ok()) {
    ADD_FAILURE() << output;
    return positions;
  }
  for (const rapidjson::Value& row : json_member(**document, "partitions")->GetArray()) {
    Position& p = positions[{row["projection"].GetString(), row["partition"].GetInt()}];
    p.next_offset = row["next_offset"].GetInt64();
    p.last_seq = row["last_seq"].GetInt64();
    p.log_end = row["log_end"].GetInt64();
    p.lag = row["lag"].GetInt64();
    p.ignored = row["ignored"].GetInt64();
    p.deadlettered = row["deadlettered"].GetInt64();
  }
  return positions;
}

// ---- the services as separate processes ----------------------------------------

constexpr int kPartitions = 4;
constexpr int kTenantsPerPartition = 2;

TEST(MetricsEndpoint, ProjectorLagMatchesStatusAndEngineCountsTheResults) {
  const std::filesystem::path logs =
      std::filesystem::temp_directory_path() / ("ledgerflow-metrics-" + std::to_string(::getpid()));
  std::filesystem::create_directories(logs);
  SCOPED_TRACE("process logs in " + logs.string());
  Infrastructure infra(logs, kPartitions);
  ASSERT_FALSE(infra.bootstrap().empty());
  Fleet fleet(infra, logs);
  const int engine_port = os::free_loopback_port();
  const int projector_port = os::free_loopback_port();
  fleet.start("engine", 1,
              {"--metrics-port", std::to_string(engine_port), "--metrics-address", "127.0.0.1"});
  // The first projector owns partition 0 only: the other partitions' lag
  // stays at the log's end until a second projector takes them.
  fleet.start("projector", 1,
              {"--partitions", "0", "--metrics-port", std::to_string(projector_port),
               "--metrics-address", "127.0.0.1"});
  ASSERT_TRUE(wait_until(
      [&] {
        return scrape(engine_port).value("ledgerflow_engine_partitions_owned") == kPartitions;
      },
      120s))
      << "engine metrics never showed " << kPartitions
      << " partitions owned: " << scrape(engine_port).body;
  EXPECT_EQ(scrape(engine_port, "/healthz").status, 200);

  // Tenants on every partition; each gets an allocation (accepted), a
  // reservation within it (accepted) and one beyond what is left (rejected).
  std::map<int32_t, int> tenants_on;
  std::vector<std::string> tenants;
  while (static_cast<int>(tenants.size()) < kPartitions * kTenantsPerPartition) {
    const std::string tenant = random_tenant();
    int& count = tenants_on[partition_for_key(tenant, kPartitions)];
    if (count == kTenantsPerPartition) continue;
    ++count;
    tenants.push_back(tenant);
  }
  kafka::Settings settings;
  settings.bootstrap = infra.bootstrap();
  client::CommandClient client(settings, kafka::Topics{}, "metrics-test");
  std::vector<std::string> ids;
  for (const std::string& tenant : tenants) {
    for (const std::string& json :
         {command_json("credits.allocate", tenant, "allocate-" + tenant,
                       allocate_around(1000, system_now_ms(), 30)),
          command_json("credits.reserve", tenant, "fits-" + tenant, reserve_payload("r1", 600)),
          command_json("credits.reserve", tenant, "short-" + tenant, reserve_payload("r2", 600))}) {
      client.send(tenant, json);
      ids.push_back(command_id_of(json));
    }
  }
  client.flush();
  const std::map<std::string, ResultEnvelope> results = client.await(ids, 120'000);
  ASSERT_EQ(results.size(), ids.size());
  int64_t accepted = 0;
  int64_t rejected = 0;
  for (const auto& [id, result] : results) {
    accepted += result.status == ResultStatus::accepted;
    rejected += result.status == ResultStatus::rejected;
  }
  EXPECT_EQ(accepted, 2 * static_cast<int64_t>(tenants.size()));
  EXPECT_EQ(rejected, static_cast<int64_t>(tenants.size()));

  // The engine counted what it answered, and has nothing left to decide.
  Scrape engine;
  EXPECT_TRUE(wait_until(
      [&] {
        engine = scrape(engine_port);
        bool drained = engine.family("ledgerflow_engine_commands_lag").size() == kPartitions;
        for (const Sample& sample : engine.family("ledgerflow_engine_commands_lag"))
          drained = drained && sample.value == 0;
        return drained &&
               engine.value("ledgerflow_engine_results_total", {{"status", "accepted"}}) ==
                   accepted &&
               engine.value("ledgerflow_engine_results_total", {{"status", "rejected"}}) ==
                   rejected;
      },
      60s))
      << engine.body;
  EXPECT_TRUE(engine.format_errors.empty()) << engine.format_errors.front();
  EXPECT_EQ(engine.value("ledgerflow_engine_commands_total"), static_cast<int64_t>(ids.size()));
  EXPECT_EQ(engine.value("ledgerflow_engine_results_total", {{"status", "duplicate"}}), 0);
  EXPECT_EQ(engine.value("ledgerflow_engine_deadlettered_total"), 0);
  // One commit record per command (rejections too), each read back.
  EXPECT_EQ(engine.value("ledgerflow_engine_records_written_total"),
            static_cast<int64_t>(ids.size()));
  EXPECT_EQ(engine.value("ledgerflow_engine_records_confirmed_total"),
            static_cast<int64_t>(ids.size()));

  // Partition 0 catches up; the others wait for a projector.
  const std::size_t projections = projections::all_projections().size();
  const int64_t records_per_partition = 3 * kTenantsPerPartition;
  Scrape projector;
  ASSERT_TRUE(wait_until(
      [&] {
        projector = scrape(projector_port);
        const Positions positions = positions_of(projector);
        if (positions.size() != projections * kPartitions) return false;
        for (const auto& [key, position] : positions) {
          const int64_t expected_lag = key.second == 0 ? 0 : records_per_partition;
          if (position.log_end != records_per_partition || position.lag != expected_lag)
            return false;
        }
        // The process counters are published after the write they count
        // has committed: wait for them too.
        return projector.value("ledgerflow_projector_records_accepted_total") ==
               records_per_partition;
      },
      120s))
      << projector.body;
  EXPECT_TRUE(projector.format_errors.empty()) << projector.format_errors.front();
  EXPECT_EQ(positions_of(projector), status_positions(infra))
      << "metrics:\n"
      << describe(positions_of(projector)) << "status:\n"
      << describe(status_positions(infra));
  EXPECT_EQ(projector.value("ledgerflow_projector_partitions_owned"), 1);
  EXPECT_EQ(projector.value("ledgerflow_projector_records_ignored_total"), 0);
  EXPECT_EQ(projector.value("ledgerflow_projector_stale_commits_total"), 0);
  EXPECT_EQ(projector.value("ledgerflow_projection_last_seq",
                            {{"projection", "credit_balances"}, {"partition", "0"}}),
            records_per_partition);

  // A second projector takes the other partitions: every lag reaches 0.
  fleet.start("projector", 2, {"--partitions", "1,2,3"});
  ASSERT_TRUE(wait_until(
      [&] {
        projector = scrape(projector_port);
        const Positions positions = positions_of(projector);
        if (positions.size() != projections * kPartitions) return false;
        for (const auto& [key, position] : positions) {
          if (position.lag != 0 || position.next_offset != records_per_partition) return false;
        }
        return true;
      },
      120s))
      << projector.body;
  EXPECT_TRUE(projector.format_errors.empty()) << projector.format_errors.front();
  EXPECT_EQ(positions_of(projector), status_positions(infra));
  EXPECT_TRUE(fleet.crashed().empty()) << fleet.crashed().front();
}

TEST(MetricsEndpoint, DevServesTheEngineAndTheProjectorOnOnePort) {
  const int port = os::free_loopback_port();
  ChildProcess dev({ledgerflow_binary(), "dev", "--partitions", "2", "--metrics-port",
                    std::to_string(port), "--metrics-address", "127.0.0.1"},
                   {{"LEDGERFLOW_LOG_LEVEL", "warn"}});
  bool ready = false;
  while (std::optional<std::string> line = dev.read_line(120s)) {
    if (*line == "READY") {
      ready = true;
      break;
    }
  }
  ASSERT_TRUE(ready);
  const Scrape both = scrape(port);
  ASSERT_EQ(both.status, 200) << both.body;
  EXPECT_TRUE(both.format_errors.empty()) << both.format_errors.front();
  EXPECT_EQ(both.value("ledgerflow_engine_partitions_owned"), 2);
  EXPECT_EQ(both.value("ledgerflow_projector_partitions_owned"), 2);
  EXPECT_EQ(both.family("ledgerflow_projection_lag").size(),
            projections::all_projections().size() * 2);
  for (const Sample& sample : both.family("ledgerflow_projection_lag")) EXPECT_EQ(sample.value, 0);
}

// ---- failures, in process ------------------------------------------------------

// A scrape server over a ProjectionScraper, on a free loopback port.
struct PositionsEndpoint {
  explicit PositionsEndpoint(metrics::ProjectionScrapeOptions options)
      : scraper(std::move(options)), server(loopback(), [this] {
          metrics::Exposition out;
          scraper.collect(out);
          return out.text();
        }) {}
  static metrics::ServerOptions loopback() {
    metrics::ServerOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    return options;
  }
  metrics::ProjectionScraper scraper;
  metrics::MetricsServer server;
};

std::vector<std::string> all_projection_names() {
  std::vector<std::string> names;
  for (const auto& projection : projections::all_projections())
    names.emplace_back(projection->name());
  return names;
}

TEST(MetricsEndpoint, UnreachableDatabaseOrBrokerAnswers503WithAReason) {
  MockKafka kafka;
  const kafka::Topics topics = kafka.unique_topics(2);

  metrics::ProjectionScrapeOptions no_database;
  no_database.kafka = kafka.settings();
  no_database.events_topic = topics.events();
  no_database.database_url =
      "postgresql://postgres@127.0.0.1:" + std::to_string(os::free_loopback_port()) + "/nothing";
  no_database.projections = all_projection_names();
  {
    PositionsEndpoint endpoint(no_database);
    const auto start = std::chrono::steady_clock::now();
    const Scrape answer = scrape(endpoint.server.port());
    EXPECT_LT(std::chrono::steady_clock::now() - start, 20s);
    EXPECT_EQ(answer.status, 503);
    EXPECT_FALSE(answer.body.empty());
    EXPECT_EQ(answer.body.find('\n'), answer.body.size() - 1) << "one line: " << answer.body;
    EXPECT_EQ(scrape(endpoint.server.port(), "/healthz").status, 200);
  }

  metrics::ProjectionScrapeOptions no_broker = no_database;
  no_broker.database_url = fresh_database_url();
  no_broker.kafka.bootstrap = "127.0.0.1:" + std::to_string(os::free_loopback_port());
  {
    PositionsEndpoint endpoint(no_broker);
    const auto start = std::chrono::steady_clock::now();
    const Scrape answer = scrape(endpoint.server.port());
    EXPECT_LT(std::chrono::steady_clock::now() - start, 20s);
    EXPECT_EQ(answer.status, 503);
    EXPECT_EQ(answer.body.find('\n'), answer.body.size() - 1) << "one line: " << answer.body;
  }

  // Both reachable: every projection on both partitions, nothing to apply.
  metrics::ProjectionScrapeOptions reachable = no_broker;
  reachable.kafka = kafka.settings();
  PositionsEndpoint endpoint(reachable);
  const Scrape answer = scrape(endpoint.server.port());
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_TRUE(answer.format_errors.empty()) << answer.format_errors.front();
  const Positions positions = positions_of(answer);
  EXPECT_EQ(positions.size(), all_projection_names().size() * 2);
  for (const auto& [key, position] : positions)
    EXPECT_EQ(position, Position{}) << key.first << "/" << key.second;
}

TEST(MetricsEndpoint, StopsCleanlyAndRefusesABusyPort) {
  int port = 0;
  {
    metrics::ServerOptions options;
    options.address = "127.0.0.1";
    metrics::MetricsServer server(options, [] {
      metrics::Exposition out;
      out.family("ledgerflow_test_value", metrics::MetricType::gauge,
                 "A value with a \"quoted\" label");
      out.sample({{"name", "a\"b\\c\nd"}}, 7);
      return out.text();
    });
    port = server.port();
    ASSERT_GT(port, 0);
    const Scrape answer = scrape(port);
    ASSERT_EQ(answer.status, 200);
    EXPECT_TRUE(answer.format_errors.empty()) << answer.format_errors.front();
    EXPECT_EQ(answer.value("ledgerflow_test_value", {{"name", "a\"b\\c\nd"}}), 7) << answer.body;
    EXPECT_EQ(scrape(port, "/nothing").status, 404);

    options.port = port;
    EXPECT_THROW(metrics::MetricsServer(options, [] { return std::string(); }), std::runtime_error);
  }
  EXPECT_EQ(scrape(port).status, 0) << "nothing listens after the server is destroyed";
}

}  // namespace
}  // namespace lf::testing

// The in-process pipeline for integration tests.
#include "tests/support/pipeline/pipeline.hpp"

#include <random>

#include <gtest/gtest.h>

#include "consumers/verify/status.hpp"
#include "events/json.hpp"
#include "projections/projection.hpp"
#include "projections/registry.hpp"
#include "tests/support/pg_fixture.hpp"
#include "tests/support/process.hpp"
#include "tests/support/wait.hpp"

namespace lf::testing {

Pipeline::Pipeline(PipelineOptions options)
    : options_(std::move(options)),
      kafka_(options_.brokers),
      topics_(kafka_.unique_topics(options_.partitions)),
      database_url_(fresh_database_url()) {
  client_ = std::make_unique<client::CommandClient>(kafka_.settings(), topics_, "test-client");
  if (options_.engine) start_engine(engine_options());
  if (options_.projector) start_projector(projector_options());
}

Pipeline::~Pipeline() {
  stop_services();
}

engine_service::Options Pipeline::engine_options(const std::string& client_id) const {
  engine_service::Options options;
  options.kafka = kafka_.settings();
  options.topics = topics_;
  options.database_url = database_url_;
  options.group_id = topics_.prefix + "engines";
  options.client_id = client_id;
  options.clock = options_.clock;
  options.snapshot_every_records = options_.snapshot_every_records;
  options.partition.validate_events = true;
  return options;
}

projector::Options Pipeline::projector_options(const std::string& client_id) const {
  projector::Options options;
  options.kafka = kafka_.settings();
  options.topics = topics_;
  options.database_url = database_url_;
  options.group_id = topics_.prefix + "projectors";
  options.client_id = client_id;
  return options;
}

void Pipeline::start_engine(engine_service::Options options) {
  const std::string client_id = options.client_id;
  services_.push_back(std::make_unique<ServiceRunner>(
      std::make_unique<engine_service::EngineService>(std::move(options))));
  engines_[client_id] = services_.back().get();
}

void Pipeline::stop_engine(const std::string& client_id) {
  auto found = engines_.find(client_id);
  ASSERT_NE(found, engines_.end()) << "no engine " << client_id;
  found->second->stop();
}

void Pipeline::start_projector(projector::Options options) {
  services_.push_back(
      std::make_unique<ServiceRunner>(std::make_unique<projector::Projector>(std::move(options))));
}

void Pipeline::stop_services() {
  for (auto& service : services_) service->stop();
}

std::string Pipeline::service_failures() const {
  std::string failures;
  for (const auto& service : services_) {
    if (!service->failure().empty()) failures += service->failure() + "\n";
  }
  return failures;
}

std::map<std::string, ResultEnvelope> Pipeline::submit(
    const std::vector<std::pair<std::string, std::string>>& tenant_and_json,
    std::chrono::milliseconds timeout) {
  std::vector<std::string> ids;
  for (const auto& [tenant, json] : tenant_and_json) {
    client_->send(tenant, json);
    ids.push_back(command_id_of(json));
  }
  client_->flush();
  return client_->await(ids, static_cast<int>(timeout.count()));
}

ResultEnvelope Pipeline::submit_one(const std::string& tenant_id, const std::string& json,
                                    std::chrono::milliseconds timeout) {
  const std::string id = command_id_of(json);
  const std::size_t before = client_->results().size();
  client_->send(tenant_id, json);
  client_->flush();
  // The newest result for this id (a re-sent command's second answer).
  const ResultEnvelope* found = nullptr;
  wait_until(
      [&] {
        client_->poll_results(10);
        for (std::size_t i = before; i < client_->results().size(); ++i) {
          if (client_->results()[i].command_id == id) found = &client_->results()[i];
        }
        return found != nullptr;
      },
      timeout);
  EXPECT_NE(found, nullptr) << "no result for " << id << "; services: " << service_failures();
  return found ? *found : ResultEnvelope{};
}

bool Pipeline::wait_projected(std::chrono::milliseconds timeout) {
  kafka::Consumer probe(kafka_.settings(), "test-probe", "");
  std::vector<std::string> names;
  for (const auto& projection : projections::all_projections())
    names.emplace_back(projection->name());
  return wait_until(
      [&] {
        pqxx::work work(db());
        return verify::projection_lag(work, probe, topics_.events(), names) == 0;
      },
      timeout, std::chrono::milliseconds(50));
}

verify::Fold Pipeline::fold() {
  verify::Fold fold(projections::all_projections());
  verify::fold_topic(kafka_.settings(), topics_.events(), fold,
                     JsonLimits{.max_bytes = 1 << 20, .max_depth = 64});
  return fold;
}

std::vector<verify::Difference> Pipeline::verify(std::size_t limit) {
  verify::Fold folded = fold();
  pqxx::work work(db());
  return verify::diff(work, folded, limit);
}

pqxx::connection& Pipeline::db() {
  if (!db_) db_ = std::make_unique<pqxx::connection>(database_url_);
  return *db_;
}

int64_t ledger_sum(pqxx::connection& db, const std::string& tenant) {
  pqxx::work work(db);
  return work
      .exec_params1("SELECT coalesce(sum(credits), 0) FROM credit_ledger WHERE tenant_id = $1",
                    tenant)[0]
      .as<int64_t>();
}

int64_t count_of(pqxx::connection& db, const std::string& sql, const std::string& tenant) {
  pqxx::work work(db);
  return work.exec_params1(sql, tenant)[0].as<int64_t>();
}

std::string random_tenant() {
  static std::mt19937_64 random{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  std::string id = "xxxxxxxx-xxxx-4xxx-8xxx-xxxxxxxxxxxx";
  for (char& c : id) {
    if (c == 'x') c = hex[random() % 16];
  }
  return id;
}

std::string command_id_of(const std::string& json) {
  Result<std::unique_ptr<rapidjson::Document>> document = parse_json_bounded(json, JsonLimits{});
  if (!document || !(*document)->IsObject()) return "";
  return std::string(json_string(**document, "command_id").value_or(""));
}

std::pair<int, std::string> run_ledgerflow(Pipeline& pipeline, const std::vector<std::string>& args,
                                           const std::string& log_level) {
  std::vector<std::string> argv{"/bin/sh", "-c", "exec \"$@\" 2>&1", "sh", ledgerflow_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, std::chrono::seconds(300), std::nullopt,
                     {{"KAFKA_BOOTSTRAP", pipeline.kafka().settings().bootstrap},
                      {"DATABASE_URL", pipeline.database_url()},
                      {"LEDGERFLOW_TOPIC_PREFIX", pipeline.topics().prefix},
                      {"LEDGERFLOW_LOG_LEVEL", log_level}});
}

}  // namespace lf::testing

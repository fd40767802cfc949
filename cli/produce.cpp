// `ledgerflow produce`: JSON lines (one command each) from a file or stdin to
// the commands topic, keyed by tenant_id; prints each command's result as a
// JSON line. Exit 1 when a result did not arrive in time.
#include <fstream>
#include <iostream>

#include <spdlog/spdlog.h>

#include "cli/subcommands.hpp"
#include "consumers/client/command_client.hpp"
#include "events/json.hpp"

namespace lf::cli {

Runner add_produce(CLI::App& app, GlobalOptions& global) {
  struct ProduceFlags {
    std::string file = "-";
    int timeout_ms = 30'000;
    bool no_wait = false;
  };
  auto flags = std::make_shared<ProduceFlags>();
  CLI::App* command =
      app.add_subcommand("produce", "Send JSON-lines commands and print their results");
  command->add_option("file", flags->file, "File of JSON lines ('-' for standard input)")
      ->capture_default_str();
  command->add_option("--timeout-ms", flags->timeout_ms, "How long to wait for the results")
      ->capture_default_str();
  command->add_flag("--no-wait", flags->no_wait, "Send without waiting for results");
  return [&global, flags] {
    std::ifstream file;
    if (flags->file != "-") {
      file.open(flags->file);
      if (!file) throw ConfigError("cannot read " + flags->file);
    }
    std::istream& input = flags->file == "-" ? std::cin : file;
    client::CommandClient client(kafka_settings(global), topics(global), "ledgerflow-produce");
    std::vector<std::string> ids;
    std::string line;
    int64_t line_number = 0;
    while (std::getline(input, line)) {
      ++line_number;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      // Only the key is read here (without the checks on producer input);
      // the engine validates everything else, rejects what it can attribute
      // and dead-letters the rest. No tenant_id: sent without a key.
      std::optional<std::string> key;
      Result<std::unique_ptr<rapidjson::Document>> document =
          parse_json_bounded(line, without_input_checks(JsonLimits{}));
      if (document && (*document)->IsObject()) {
        if (auto tenant_id = json_string(**document, "tenant_id")) key = std::string(*tenant_id);
        if (auto id = json_string(**document, "command_id")) ids.emplace_back(*id);
      } else {
        spdlog::warn("line {} is not a JSON object; sent as is", line_number);
      }
      client.send(key, line);
    }
    client.flush();
    if (flags->no_wait) return kExitOk;
    std::map<std::string, ResultEnvelope> results = client.await(ids, flags->timeout_ms);
    for (const std::string& id : ids) {
      auto found = results.find(id);
      if (found != results.end()) std::cout << encode_result(found->second) << '\n';
    }
    std::cout.flush();
    if (results.size() < ids.size()) {
      spdlog::error("{} of {} results did not arrive within {} ms", ids.size() - results.size(),
                    ids.size(), flags->timeout_ms);
      return kExitFailure;
    }
    return kExitOk;
  };
}

}  // namespace lf::cli

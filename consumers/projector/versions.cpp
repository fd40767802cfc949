// The projections' versions: a projection whose stored version differs
// from this binary's is rebuilt before the projector writes it, and a
// version changed under a running projector stops it.
#include <stdexcept>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "consumers/projector/internal.hpp"
#include "consumers/projector/projector.hpp"
#include "consumers/rebuild/rebuild.hpp"
#include "events/assert.hpp"

namespace lf::projector {

// A projection whose stored version differs from this binary's is rebuilt
// first (or, with rebuild_outdated off, stops the projector): this binary
// must never write tables another mapping built.
void Projector::check_versions() {
  // Waits for the database if it is not up yet (INSERT ... DO NOTHING: safe to repeat).
  std::vector<std::string> outdated = database_->run(
      "registering the projections",
      [&](pqxx::connection& connection) {
        std::vector<std::string> found;
        pqxx::work work(connection);
        for (const auto& projection : projections_) {
          const std::string name(projection->name());
          work.exec_params(
              "INSERT INTO projections (name, version) VALUES ($1, $2) "
              "ON CONFLICT (name) DO NOTHING",
              name, projection->version());
          const int stored =
              work.exec_params1("SELECT version FROM projections WHERE name = $1", name)[0]
                  .as<int>();
          if (stored == projection->version()) continue;
          const std::string problem = "projection " + name + " is at version " +
                                      std::to_string(stored) +
                                      " in the database but this binary writes version " +
                                      std::to_string(projection->version());
          if (!options_.rebuild_outdated)
            throw std::runtime_error(problem + ": rebuild it (ledgerflow rebuild " + name + ")");
          logger()->warn("{}: rebuilding it from {} before projecting", problem,
                         options_.rebuild_from);
          found.push_back(name);
        }
        work.commit();
        return found;
      },
      nullptr);
  for (const std::string& name : outdated) {
    rebuild::Options rebuild;
    rebuild.kafka = options_.kafka;
    rebuild.topics = options_.topics;
    rebuild.database_url = options_.database_url;
    rebuild.projection = name;
    rebuild.record_limits = options_.record_limits;
    const std::optional<rebuild::Source> source = rebuild::parse_source(options_.rebuild_from);
    if (!source)
      throw std::invalid_argument("rebuild source must be kafka or archive, not " +
                                  options_.rebuild_from);
    rebuild.source = *source;
    rebuild.progress = [name](const rebuild::Progress& progress) {
      if (progress.finished) {
        logger()->info("rebuild of {}: {} done, {} records", name, progress.phase, progress.done);
      }
    };
    // Several new projectors may start at once: one rebuilds, the others
    // wait for its lock and find the version already current.
    while (true) {
      int stored = 0;
      {
        pqxx::nontransaction work(database_->get());
        work.exec_params("SELECT pg_advisory_lock(hashtext('ledgerflow.rebuild'), hashtext($1))",
                         name);
        stored =
            work.exec_params1("SELECT version FROM projections WHERE name = $1", name)[0].as<int>();
        work.exec_params("SELECT pg_advisory_unlock(hashtext('ledgerflow.rebuild'), hashtext($1))",
                         name);
      }
      if (stored == projection_version(name)) {
        logger()->info("projection {} was rebuilt at version {} by another process", name, stored);
        break;
      }
      try {
        rebuild::run(rebuild);
        break;
      } catch (const rebuild::RebuildBusy& busy) {
        logger()->info("{}; waiting for it", busy.what());
      }
    }
  }
}

int Projector::projection_version(const std::string& name) const {
  for (const auto& projection : projections_) {
    if (projection->name() == name) return projection->version();
  }
  LF_ASSERT_MSG(false, "not a projection of this projector");
  return 0;
}

// Another process may have rebuilt a projection to another version while
// this one ran (its compare-and-set then failed): stop rather than write
// tables another mapping built.
void Projector::recheck_versions() {
  database_->run(
      "checking the projections' versions",
      [this](pqxx::connection& connection) {
        pqxx::work work(connection);
        for (const auto& projection : projections_) {
          const pqxx::result stored = work.exec_params(
              "SELECT version FROM projections WHERE name = $1", std::string(projection->name()));
          if (!stored.empty() && stored[0][0].as<int>() != projection->version()) {
            throw std::runtime_error("projection " + std::string(projection->name()) +
                                     " was rebuilt at version " + stored[0][0].as<std::string>() +
                                     "; this binary writes version " +
                                     std::to_string(projection->version()) + " and stops");
          }
        }
        work.commit();
      },
      stop_);
}

}  // namespace lf::projector

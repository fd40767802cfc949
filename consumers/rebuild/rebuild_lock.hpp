// One rebuild of a projection at a time, and which failed swaps are tried
// again.
#pragma once

#include <optional>
#include <string>

#include <pqxx/pqxx>

namespace lf::rebuild {

// Holds a session-level advisory lock naming the projection: one rebuild of
// a projection at a time (RebuildBusy when another holds it).
class RebuildLock {
 public:
  RebuildLock(pqxx::connection& connection, const std::string& projection);
  ~RebuildLock();
  RebuildLock(const RebuildLock&) = delete;
  RebuildLock& operator=(const RebuildLock&) = delete;

 private:
  pqxx::connection& connection_;
  std::string projection_;
};

// Why a failed swap may be tried again, or nullopt.
std::optional<std::string> retry_reason(const pqxx::failure& error);

}  // namespace lf::rebuild

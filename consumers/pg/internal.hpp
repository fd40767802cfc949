// What the PostgreSQL adapter's files share: the "pg" logger and prepared
// statements declared on a transaction's connection.
#pragma once

#include <memory>
#include <string>

#include <spdlog/spdlog.h>
#include <pqxx/pqxx>

namespace lf::pg {

// Never destroyed: a TempServer may stop from a static destructor, after
// function-local statics constructed later than it are gone.
inline std::shared_ptr<spdlog::logger> logger() {
  static const std::shared_ptr<spdlog::logger>* const instance = [] {
    std::shared_ptr<spdlog::logger> existing = spdlog::get("pg");
    return new std::shared_ptr<spdlog::logger>(existing ? existing
                                                        : spdlog::default_logger()->clone("pg"));
  }();
  return *instance;
}

// Declares a statement on the connection (a no-op when it already has the
// same one) and returns its name.
inline std::string prepared(pqxx::transaction_base& work, const char* name, const char* sql) {
  work.conn().prepare(name, sql);
  return name;
}

}  // namespace lf::pg

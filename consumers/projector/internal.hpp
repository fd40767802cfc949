// What the projector runtime's files share. Internal to consumers/projector.
#pragma once

#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <spdlog/spdlog.h>

namespace lf::projector {

std::shared_ptr<spdlog::logger> logger();

// When `error` is about the data a batch writes — a data exception (SQLSTATE
// class 22), an integrity constraint violation (23), an error raised by a
// trigger or function (P0), or a patch finding no row — its reason and
// SQLSTATE. Connection loss, in-doubt commits, stale positions,
// serialization failures and deadlocks are not: they keep their own paths.
std::optional<std::pair<std::string, std::string>> data_error(const std::exception_ptr& error);

}  // namespace lf::projector

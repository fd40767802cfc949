// A value or an error, for expected failures on ordinary paths (bad input,
// a rejected decision). Exceptions are kept for what ends an operation.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "events/assert.hpp"

namespace lf {

// A machine-readable code (snake_case, stable, part of the contract where it
// reaches a user) and a human sentence.
struct Error {
  std::string code;
  std::string message;
};

template <typename T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  T& value() & {
    LF_ASSERT(ok());
    return std::get<T>(state_);
  }
  const T& value() const& {
    LF_ASSERT(ok());
    return std::get<T>(state_);
  }
  T&& value() && {
    LF_ASSERT(ok());
    return std::get<T>(std::move(state_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const {
    LF_ASSERT(!ok());
    return std::get<Error>(state_);
  }

 private:
  std::variant<T, Error> state_;
};

inline Error make_error(std::string code, std::string message) {
  return Error{std::move(code), std::move(message)};
}

}  // namespace lf

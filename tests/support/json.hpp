// JSON text parsed for a test: a document that does not parse fails the test
// (with the text) and comes back as an empty object, so the test goes on to
// report what else is wrong instead of crashing.
#pragma once

#include <memory>
#include <string_view>
#include <utility>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "events/json.hpp"
#include "events/result.hpp"

namespace lf::testing {

// Text as a producer sends it: the checks on untrusted input (`limits`).
inline std::unique_ptr<rapidjson::Document> parse_json(std::string_view text,
                                                       const JsonLimits& limits = JsonLimits{}) {
  Result<std::unique_ptr<rapidjson::Document>> document = parse_json_bounded(text, limits);
  EXPECT_TRUE(document.ok()) << text;
  if (!document.ok()) return std::make_unique<rapidjson::Document>(rapidjson::kObjectType);
  return std::move(document).value();
}

// Text ledgerflow wrote itself (parse_json_trusted: no size, depth or
// encoding checks).
inline std::unique_ptr<rapidjson::Document> parse_own_json(std::string_view text) {
  Result<std::unique_ptr<rapidjson::Document>> document = parse_json_trusted(text);
  EXPECT_TRUE(document.ok()) << text;
  if (!document.ok()) return std::make_unique<rapidjson::Document>(rapidjson::kObjectType);
  return std::move(document).value();
}

}  // namespace lf::testing

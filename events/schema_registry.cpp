// The JSON Schemas embedded from schemas/ (see schemas/resources.hpp),
// compiled once into rapidjson SchemaDocuments (draft-04). A SchemaValidator
// holds per-validation state, so each call builds its own. The compiled
// documents are not quite read-only, though: rapidjson 1.1.0's regex engine
// keeps its match state inside the compiled "pattern" (GenericRegex::state0_,
// stateSet_), so two threads matching one pattern corrupt each other. Each
// schema therefore validates one instance at a time, behind its own mutex.
#include "events/schema_registry.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <map>
#include <mutex>
#include <tuple>
#include <utility>

#include <rapidjson/error/en.h>
#include <rapidjson/internal/regex.h>
#include <rapidjson/pointer.h>
#include <rapidjson/schema.h>

#include "events/assert.hpp"
#include "events/json.hpp"
#include "schemas/resources.hpp"

namespace lf {
namespace {

constexpr std::string_view kCommandsPrefix = "commands/";
constexpr std::string_view kEventsPrefix = "events/";
constexpr std::string_view kEnvelopesPrefix = "envelopes/";
constexpr std::string_view kJsonSuffix = ".json";
// Names listed in one error sentence, at most (e.g. missing properties).
constexpr std::size_t kNamesInMessageMax = 8;

struct CompiledSchema {
  std::string path;                             // e.g. "commands/credits.reserve.json"
  std::unique_ptr<rapidjson::Document> source;  // kept to explain failures
  std::unique_ptr<rapidjson::SchemaDocument> schema;
  std::mutex validating;  // see the note at the top
};

// rapidjson 1.1.0 silently ignores a "pattern" its regex engine cannot
// compile (e.g. "\d"): that would turn a check off without a word, so every
// pattern in our schemas must compile.
void assert_patterns_compile(const rapidjson::Value& value, const std::string& path) {
  if (value.IsArray()) {
    for (const rapidjson::Value& element : value.GetArray()) assert_patterns_compile(element, path);
    return;
  }
  if (!value.IsObject()) return;
  for (const auto& member : value.GetObject()) {
    const std::string_view name = json_view(member.name);
    if (name == "pattern" && member.value.IsString()) {
      const rapidjson::internal::Regex regex(member.value.GetString());
      const std::string message = path + ": pattern " + member.value.GetString() +
                                  " does not compile with rapidjson's regex engine";
      LF_ASSERT_MSG(regex.IsValid(), message.c_str());
    }
    if (name == "patternProperties" && member.value.IsObject()) {
      for (const auto& pattern : member.value.GetObject()) {
        const rapidjson::internal::Regex regex(pattern.name.GetString());
        const std::string message = path + ": patternProperties key " + pattern.name.GetString() +
                                    " does not compile with rapidjson's regex engine";
        LF_ASSERT_MSG(regex.IsValid(), message.c_str());
      }
    }
    assert_patterns_compile(member.value, path);
  }
}

std::unique_ptr<CompiledSchema> compile(const resources::Resource& resource) {
  auto compiled_ptr = std::make_unique<CompiledSchema>();
  CompiledSchema& compiled = *compiled_ptr;
  compiled.path = std::string(resource.path);
  compiled.source = std::make_unique<rapidjson::Document>();
  compiled.source->Parse(resource.content.data(), resource.content.size());
  if (compiled.source->HasParseError()) {
    const std::string message = compiled.path + " is not valid JSON at byte offset " +
                                std::to_string(compiled.source->GetErrorOffset()) + ": " +
                                rapidjson::GetParseError_En(compiled.source->GetParseError());
    LF_ASSERT_MSG(false, message.c_str());
  }
  const std::string not_object = compiled.path + " is not a JSON object";
  LF_ASSERT_MSG(compiled.source->IsObject(), not_object.c_str());
  assert_patterns_compile(*compiled.source, compiled.path);
  compiled.schema = std::make_unique<rapidjson::SchemaDocument>(*compiled.source);
  return compiled_ptr;
}

// "credits.reserve" from "commands/credits.reserve.json"; nullopt when the
// resource is not a .json file.
std::optional<std::string> schema_name(std::string_view path) {
  if (path.size() <= kJsonSuffix.size() ||
      path.substr(path.size() - kJsonSuffix.size()) != kJsonSuffix) {
    return std::nullopt;
  }
  std::string_view name = path.substr(0, path.size() - kJsonSuffix.size());
  const std::size_t slash = name.rfind('/');
  if (slash != std::string_view::npos) name = name.substr(slash + 1);
  if (name.empty()) return std::nullopt;
  return std::string(name);
}

// "credits.reserved.v2" -> ("credits.reserved", 2); no ".vN" suffix -> version 1.
std::pair<std::string, int32_t> split_event_version(const std::string& name) {
  const std::size_t dot = name.rfind('.');
  if (dot == std::string::npos || dot + 2 > name.size() || name[dot + 1] != 'v') return {name, 1};
  const std::string_view digits = std::string_view(name).substr(dot + 2);
  if (digits.empty() || digits.size() > 6 || digits.front() == '0') return {name, 1};
  int32_t version = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return {name, 1};
    version = version * 10 + (c - '0');
  }
  return {name.substr(0, dot), version};
}

std::string pointer_text(const rapidjson::Pointer& pointer) {
  rapidjson::StringBuffer buffer;
  pointer.Stringify(buffer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string join_names(const std::vector<std::string>& names) {
  std::string joined;
  for (std::size_t i = 0; i < names.size() && i < kNamesInMessageMax; ++i) {
    if (i > 0) joined += ", ";
    joined += "'" + names[i] + "'";
  }
  if (names.size() > kNamesInMessageMax) joined += ", ...";
  return joined;
}

// The shortest text that reads back as `number` (1e+20, not 100000000000000000000.0).
std::string shortest_text(double number) {
  std::array<char, 64> buffer{};
  const auto [end, error] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), number);
  LF_ASSERT(error == std::errc());
  return std::string(buffer.data(), end);
}

// True when a "type" rule admits integers.
bool wants_integer(const rapidjson::Value& rule) {
  if (rule.IsString()) return json_view(rule) == "integer";
  if (!rule.IsArray()) return false;
  return std::any_of(rule.Begin(), rule.End(), [](const rapidjson::Value& type) {
    return type.IsString() && json_view(type) == "integer";
  });
}

// A number with no fractional part that no 64-bit integer holds (1e20,
// -1e19): rapidjson reads it as a double, and the validator's "type" check
// would call it "not an integer" when the trouble is its size. (A literal
// like 99999999999999999999, which no double holds exactly, is refused
// earlier, by the parser: inexact_number.)
bool is_integer_out_of_range(const rapidjson::Value* instance) {
  if (instance == nullptr || !instance->IsDouble()) return false;
  const double number = instance->GetDouble();
  constexpr double kTwoTo63 = 9223372036854775808.0;
  return std::isfinite(number) && std::trunc(number) == number &&
         (number >= kTwoTo63 || number < -kTwoTo63);
}

// What rapidjson 1.1.0 does not say itself, recovered from the schema node
// that failed and the instance: the missing or unexpected member names, the
// expected type, the pattern.
std::string failure_detail(std::string_view keyword, const rapidjson::Value* schema_node,
                           const rapidjson::Value* instance,
                           const rapidjson::Pointer& instance_pointer) {
  if (schema_node == nullptr || !schema_node->IsObject()) return "";
  const rapidjson::Value* rule = json_member(*schema_node, keyword);
  if (keyword == "required" && rule != nullptr && rule->IsArray() && instance != nullptr &&
      instance->IsObject()) {
    std::vector<std::string> missing;
    for (const rapidjson::Value& name : rule->GetArray()) {
      if (name.IsString() && !instance->HasMember(name)) missing.emplace_back(json_view(name));
    }
    if (!missing.empty()) return " (missing " + join_names(missing) + ")";
  }
  if (keyword == "additionalProperties" && instance_pointer.GetTokenCount() > 0) {
    // rapidjson stops at the member's key, so the pointer's last token names it.
    const auto& token = instance_pointer.GetTokens()[instance_pointer.GetTokenCount() - 1];
    return " (member '" + std::string(token.name, token.length) + "' is not allowed)";
  }
  if (keyword == "type" && rule != nullptr) {
    if (wants_integer(*rule) && is_integer_out_of_range(instance)) {
      return " (out of range: " + shortest_text(instance->GetDouble()) +
             " is an integer beyond 64 bits; integers must lie in "
             "-9223372036854775808..9223372036854775807)";
    }
    if (rule->IsString()) return " (expected " + std::string(json_view(*rule)) + ")";
    if (rule->IsArray()) {
      std::vector<std::string> types;
      for (const rapidjson::Value& type : rule->GetArray()) {
        if (type.IsString()) types.emplace_back(json_view(type));
      }
      return " (expected one of " + join_names(types) + ")";
    }
  }
  if (keyword == "pattern" && rule != nullptr && rule->IsString()) {
    return " (expected to match " + std::string(json_view(*rule)) + ")";
  }
  if ((keyword == "minimum" || keyword == "maximum" || keyword == "minLength" ||
       keyword == "maxLength" || keyword == "minItems" || keyword == "maxItems") &&
      rule != nullptr && rule->IsNumber()) {
    return " (" + std::string(keyword) + " " + json_to_string(*rule) + ")";
  }
  if (keyword == "enum" && rule != nullptr && rule->IsArray()) {
    std::vector<std::string> values;
    for (const rapidjson::Value& value : rule->GetArray()) values.push_back(json_to_string(value));
    return " (expected one of " + join_names(values) + ")";
  }
  return "";
}

std::optional<std::string> validate_with(CompiledSchema& compiled,
                                         const rapidjson::Value& instance) {
  const std::lock_guard<std::mutex> lock(compiled.validating);
  rapidjson::SchemaValidator validator(*compiled.schema);
  if (instance.Accept(validator)) return std::nullopt;
  LF_ASSERT(!validator.IsValid());

  const rapidjson::Pointer instance_pointer = validator.GetInvalidDocumentPointer();
  const rapidjson::Pointer schema_pointer = validator.GetInvalidSchemaPointer();
  const std::string keyword = validator.GetInvalidSchemaKeyword();
  std::string instance_text = pointer_text(instance_pointer);
  if (instance_text.empty()) instance_text = "/";

  const std::string detail = failure_detail(keyword, schema_pointer.Get(*compiled.source),
                                            instance_pointer.Get(instance), instance_pointer);
  return instance_text + ": failed '" + keyword + "' at schema #" + pointer_text(schema_pointer) +
         detail;
}

}  // namespace

std::vector<EventSchemaKey> embedded_event_schema_keys() {
  std::vector<EventSchemaKey> keys;
  for (const resources::Resource& resource : resources::under(kEventsPrefix)) {
    const auto name = schema_name(resource.path);
    if (!name) continue;
    auto [type, schema_version] = split_event_version(*name);
    keys.push_back(EventSchemaKey{std::move(type), schema_version});
  }
  std::sort(keys.begin(), keys.end(), [](const EventSchemaKey& a, const EventSchemaKey& b) {
    return std::tie(a.type, a.schema_version) < std::tie(b.type, b.schema_version);
  });
  return keys;
}

struct SchemaRegistry::Impl {
  std::map<std::string, std::unique_ptr<CompiledSchema>, std::less<>> commands;
  std::map<std::pair<std::string, int32_t>, std::unique_ptr<CompiledSchema>> events;
  std::map<std::string, std::unique_ptr<CompiledSchema>, std::less<>> envelopes;
};

const SchemaRegistry& SchemaRegistry::embedded() {
  static const SchemaRegistry registry;
  return registry;
}

SchemaRegistry::SchemaRegistry() : impl_(std::make_unique<Impl>()) {
  for (const resources::Resource& resource : resources::under(kCommandsPrefix)) {
    const auto name = schema_name(resource.path);
    if (!name) continue;
    const bool inserted = impl_->commands.emplace(*name, compile(resource)).second;
    LF_ASSERT_MSG(inserted, "two command schemas for one type");
  }
  for (const resources::Resource& resource : resources::under(kEventsPrefix)) {
    const auto name = schema_name(resource.path);
    if (!name) continue;
    auto key = split_event_version(*name);
    const bool inserted = impl_->events.emplace(std::move(key), compile(resource)).second;
    LF_ASSERT_MSG(inserted, "two event schemas for one type and schema_version");
  }
  for (const resources::Resource& resource : resources::under(kEnvelopesPrefix)) {
    const auto name = schema_name(resource.path);
    if (!name) continue;
    const bool inserted = impl_->envelopes.emplace(*name, compile(resource)).second;
    LF_ASSERT_MSG(inserted, "two envelope schemas for one kind");
  }
}

SchemaRegistry::~SchemaRegistry() = default;

bool SchemaRegistry::knows_command(std::string_view type) const {
  return impl_->commands.find(type) != impl_->commands.end();
}

bool SchemaRegistry::knows_event(std::string_view type, int32_t schema_version) const {
  return impl_->events.count({std::string(type), schema_version}) > 0;
}

std::vector<std::string> SchemaRegistry::command_types() const {
  std::vector<std::string> types;
  for (const auto& [type, compiled] : impl_->commands) types.push_back(type);
  return types;
}

std::vector<std::string> SchemaRegistry::event_types() const {
  std::vector<std::string> types;
  for (const auto& [key, compiled] : impl_->events) {
    types.push_back(key.second == 1 ? key.first : key.first + ".v" + std::to_string(key.second));
  }
  return types;
}

std::optional<std::string> SchemaRegistry::validate_command_payload(
    std::string_view type, const rapidjson::Value& payload) const {
  const auto found = impl_->commands.find(type);
  if (found == impl_->commands.end())
    return "/: no schema for command type '" + std::string(type) + "'";
  return validate_with(*found->second, payload);
}

std::optional<std::string> SchemaRegistry::validate_event_payload(
    std::string_view type, int32_t schema_version, const rapidjson::Value& payload) const {
  const auto found = impl_->events.find({std::string(type), schema_version});
  if (found == impl_->events.end()) {
    return "/: no schema for event type '" + std::string(type) + "' version " +
           std::to_string(schema_version);
  }
  return validate_with(*found->second, payload);
}

std::optional<std::string> SchemaRegistry::validate_envelope(
    std::string_view kind, const rapidjson::Value& document) const {
  const auto found = impl_->envelopes.find(kind);
  if (found == impl_->envelopes.end()) return "/: no envelope schema '" + std::string(kind) + "'";
  return validate_with(*found->second, document);
}

}  // namespace lf

// Snapshot form of the usage state: every field, instants as Unix
// milliseconds, the recent ids oldest first, so read_state(write_state(s))
// == s. Snapshots written before the usage domain have no "usage" member
// (engine/tenant.cpp then starts from State{}).
#include "engine/usage/decider.hpp"

#include "engine/credits/import_sequence.hpp"

namespace lf::engine::usage {

namespace {

void write_ids(JsonWriter& writer, std::string_view name, const RecentIds& ids) {
  writer.key(name);
  writer.begin_array();
  for (const std::string& id : ids.ids_oldest_first()) writer.string(id);
  writer.end_array();
}

Error bad_snapshot(std::string_view what) {
  return Error{"invalid_snapshot", "usage state: " + std::string(what)};
}

Result<bool> read_ids(const rapidjson::Value& value, std::string_view name, RecentIds& ids) {
  const rapidjson::Value* array = json_member(value, name);
  if (array == nullptr || !array->IsArray() || array->Size() > kRecentIdsMax)
    return bad_snapshot(std::string(name) + " is not an array of at most the window's size");
  for (const rapidjson::Value& id : array->GetArray()) {
    if (!id.IsString() || id.GetStringLength() == 0 || ids.contains(json_view(id)))
      return bad_snapshot(std::string(name) + " holds an empty, repeated or non-string id");
    ids.push(std::string(json_view(id)));
  }
  return true;
}

}  // namespace

void write_state(JsonWriter& writer, const State& state) {
  writer.begin_object();
  writer.field("version", int64_t{1});
  if (state.period) {
    writer.key("period");
    writer.begin_object();
    writer.field("start_ms", state.period->start_ms);
    writer.field("end_ms", state.period->end_ms);
    writer.field("basis", to_string(state.period->basis));
    writer.end_object();
  }
  writer.field("month_spend_usd_micros", state.month_spend_usd_micros);
  writer.field("spend_cap_usd_micros", state.spend_cap_usd_micros);
  write_ids(writer, "llm_call_ids", state.llm_call_ids);
  write_ids(writer, "tool_call_ids", state.tool_call_ids);
  write_ids(writer, "usage_record_ids", state.usage_record_ids);
  if (!state.imports.empty() || state.import_events != 0) {  // none in older snapshots
    writer.key("imports");
    credits::write_import_progress(writer, state.imports);
    writer.field("import_events", state.import_events);
  }
  writer.end_object();
}

Result<State> read_state(const rapidjson::Value& value) {
  if (!value.IsObject()) return bad_snapshot("not an object");
  State state;
  if (const rapidjson::Value* period = json_member(value, "period")) {
    if (!period->IsObject()) return bad_snapshot("period is not an object");
    const std::optional<int64_t> start_ms = json_int64(*period, "start_ms");
    const std::optional<int64_t> end_ms = json_int64(*period, "end_ms");
    const std::optional<std::string_view> basis_text = json_string(*period, "basis");
    const std::optional<SpendBasis> basis =
        basis_text ? parse_spend_basis(*basis_text) : std::nullopt;
    if (!start_ms || !end_ms || !basis) return bad_snapshot("period lacks a field");
    state.period = SpendPeriod{*start_ms, *end_ms, *basis};
  }
  const std::optional<int64_t> spend = json_int64(value, "month_spend_usd_micros");
  if (!spend) return bad_snapshot("month_spend_usd_micros is missing");
  state.month_spend_usd_micros = *spend;
  if (json_member(value, "spend_cap_usd_micros") != nullptr) {
    state.spend_cap_usd_micros = json_int64(value, "spend_cap_usd_micros");
    if (!state.spend_cap_usd_micros) return bad_snapshot("spend_cap_usd_micros is not an integer");
  }
  for (const auto& [name, ids] :
       {std::pair<std::string_view, RecentIds*>{"llm_call_ids", &state.llm_call_ids},
        {"tool_call_ids", &state.tool_call_ids},
        {"usage_record_ids", &state.usage_record_ids}}) {
    Result<bool> read = read_ids(value, name, *ids);
    if (!read) return read.error();
  }
  if (const rapidjson::Value* imports = json_member(value, "imports")) {
    Result<std::map<std::string, credits::ImportProgress>> progress =
        credits::read_import_progress(*imports);
    if (!progress) return bad_snapshot(progress.error().message);
    state.imports = std::move(*progress);
    const std::optional<int64_t> events = json_int64(value, "import_events");
    if (!events || *events < 0) return bad_snapshot("import_events is missing");
    state.import_events = *events;
  }
  if (std::optional<std::string> broken = state_invariant_violation(state))
    return bad_snapshot(*broken);
  return state;
}

}  // namespace lf::engine::usage

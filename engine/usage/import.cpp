// Deciding and evolving import.llm_calls chunks (import.hpp,
// docs/migrating.md "llm_calls"): each row read as the live
// usage.record_llm_call payload is, ids once, created_on not in the future
// (no 7-day limit: history), the calls of the spend period in force counted
// into its spend.
#include "engine/usage/import.hpp"

#include "engine/credits/import_codec.hpp"
#include "engine/credits/import_reader.hpp"
#include "engine/credits/import_sequence.hpp"
#include "engine/usage/decider.hpp"
#include "engine/usage/events.hpp"
#include "events/json.hpp"
#include "events/money.hpp"
#include "events/time.hpp"

namespace lf::engine::usage {

namespace {

namespace why = credits::import_reason;

// As a live call's created_on may lead the engine's clock (clock skew).
constexpr int64_t kCreatedOnAheadMaxMs = kClockSkewMaxMs;

// The UTC calendar month holding `unix_ms`: the spend period a call outside
// the period in force counted into on the platform.
int64_t utc_month_start_ms(int64_t unix_ms) {
  const int32_t day = static_cast<int32_t>(unix_ms / kMillisPerDay);
  const std::optional<int32_t> first = parse_date_days(format_date_days(day).substr(0, 8) + "01");
  LF_ASSERT(first.has_value());
  return static_cast<int64_t>(*first) * kMillisPerDay;
}

struct DecidedCall {
  const ImportedLlmCall* row = nullptr;
  int64_t counted_usd_micros = 0;
  int64_t spend_period_start_ms = 0;
};

credits::ImportHeader header_of(const LlmCallsChunk& chunk) {
  return credits::ImportHeader{chunk.import_id, chunk.chunk, chunk.chunks, chunk.append,
                               chunk.source};
}

// Takes `state` to what it is after the chunk, or refuses.
std::optional<Rejection> decide_on(State& state, const credits::State& credits,
                                   int64_t usage_stream_version, const LlmCallsChunk& chunk,
                                   int64_t now_ms, std::vector<DecidedCall>& decided) {
  const credits::ImportHeader header = header_of(chunk);
  if (std::optional<Rejection> refused = credits::refuse_import_sequence(
          state.imports, state.import_events, usage_stream_version, header, kLlmCallsKind, "usage"))
    return refused;
  const SpendPeriod in_force = period_in_force(credits, now_ms);
  int64_t spend = spend_in_force(state, in_force);
  for (const ImportedLlmCall& row : chunk.rows) {
    const RecordLlmCall& call = row.call;
    const std::string where = chunk.source.file + ":" + std::to_string(row.line) + ": ";
    LF_ASSERT(call.created_on_ms.has_value());
    const int64_t created_on_ms = *call.created_on_ms;
    if (created_on_ms > now_ms + kCreatedOnAheadMaxMs) {
      return Rejection{reason::kInvalidCreatedOn,
                       where + "created_on " + format_rfc3339_ms(created_on_ms) +
                           " is after the engine's clock (" + format_rfc3339_ms(now_ms) + ")"};
    }
    if (state.llm_call_ids.contains(call.llm_call_id)) {
      return Rejection{reason::kDuplicateUsage, where + "LLM call " + call.llm_call_id +
                                                    " is already recorded for this tenant"};
    }
    const bool counts = created_on_ms >= in_force.start_ms && created_on_ms < in_force.end_ms;
    const int64_t counted = counts ? call.cost_usd_micros : 0;
    if (counted > kMonthSpendUsdMicrosMax - spend) {
      return Rejection{reason::kLimitExceeded, where +
                                                   "the spend of the period in force would pass " +
                                                   format_usd(kMonthSpendUsdMicrosMax) + " USD"};
    }
    spend += counted;
    state.llm_call_ids.push(call.llm_call_id);
    decided.push_back(
        DecidedCall{&row, counted, counts ? in_force.start_ms : utc_month_start_ms(created_on_ms)});
  }
  state.period = in_force;
  state.month_spend_usd_micros = spend;
  credits::record_import_progress(credits::ImportLedger{state.imports, state.import_events}, header,
                                  kLlmCallsKind);
  return std::nullopt;
}

// A row's fields as the live command's payload has them.
void write_call_fields(JsonWriter& w, const RecordLlmCall& c) {
  w.field("llm_call_id", c.llm_call_id);
  w.field("activity_run_id", c.activity_run_id);
  w.field("adapter_type", to_string(c.adapter_type));
  w.field("model_id", c.model_id);
  w.field("prompt_hash", c.prompt_hash);
  w.field("response_hash", c.response_hash);
  w.field("input_tokens", c.input_tokens);
  w.field("output_tokens", c.output_tokens);
  w.field("duration_ms", c.duration_ms);
  w.timestamp_field("created_on", c.created_on_ms);
}

std::string encode_imported(const LlmCallsChunk& chunk, const std::vector<DecidedCall>& decided,
                            const SpendFigures& spend) {
  JsonWriter w;
  w.begin_object();
  w.field("kind", kLlmCallsKind);
  credits::write_import_header(w, header_of(chunk));
  int64_t counted_total = 0;
  w.key("calls");
  w.begin_array();
  for (const DecidedCall& call : decided) {
    w.begin_object();
    w.field("line", call.row->line);
    write_call_fields(w, call.row->call);
    w.field("cost_usd_micros", call.row->call.cost_usd_micros);
    w.field("counted_usd_micros", call.counted_usd_micros);
    w.timestamp_field("spend_period_start", call.spend_period_start_ms);
    w.end_object();
    counted_total += call.counted_usd_micros;
  }
  w.end_array();
  w.field("counted_usd_micros", counted_total);
  write_figures(w, "spend", spend);
  w.end_object();
  return w.str();
}

}  // namespace

std::string encode_llm_calls_chunk(const LlmCallsChunk& chunk) {
  JsonWriter w;
  w.begin_object();
  credits::write_import_header(w, header_of(chunk));
  w.key("rows");
  w.begin_array();
  for (const ImportedLlmCall& row : chunk.rows) {
    w.begin_object();
    w.field("line", row.line);
    write_call_fields(w, row.call);
    w.field("cost_usd", format_scaled_decimal(row.call.cost_usd_micros, kMicroUsdDigits));
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return w.str();
}

Result<LlmCallsChunk> parse_llm_calls_chunk(const rapidjson::Value* payload) {
  if (payload == nullptr || !payload->IsObject())
    return make_error("invalid_payload", "the payload is not an object");
  std::optional<Error> error;
  credits::ImportReader in(error);
  credits::ImportHeader header;
  credits::read_import_header(in, *payload, header);
  if (error) return *error;
  LlmCallsChunk chunk{header.import_id, header.chunk,  header.chunks,
                      header.append,    header.source, {}};
  const rapidjson::Value* rows = json_member(*payload, "rows");
  if (rows == nullptr || !rows->IsArray() || rows->Empty() ||
      rows->Size() > credits::kImportChunkRowsMax) {
    return make_error(
        "invalid_payload",
        "rows must be an array of 1 to " + std::to_string(credits::kImportChunkRowsMax) + " calls");
  }
  chunk.rows.reserve(rows->Size());
  for (const rapidjson::Value& row : rows->GetArray()) {
    const std::optional<int64_t> line = row.IsObject() ? json_int64(row, "line") : std::nullopt;
    if (!line || *line < 1 || *line > credits::kLineMax)
      return make_error(why::kInvalidRow, "every row is an object with its line");
    Result<Command> parsed = parse_command("usage.record_llm_call", &row);
    if (!parsed) {
      return make_error(why::kInvalidRow, "line " + std::to_string(*line) + ": " +
                                              parsed.error().code + ": " + parsed.error().message);
    }
    RecordLlmCall call = std::get<RecordLlmCall>(std::move(parsed).value());
    if (!call.created_on_ms)
      return make_error(why::kInvalidRow,
                        "line " + std::to_string(*line) + ": created_on is required");
    chunk.rows.push_back(ImportedLlmCall{*line, std::move(call)});
  }
  return chunk;
}

Decision decide_llm_calls_chunk(const State& state, const credits::State& credits,
                                int64_t usage_stream_version, const LlmCallsChunk& chunk,
                                const std::string& stream, int64_t now_ms) {
  State scratch = state;
  std::vector<DecidedCall> decided;
  std::optional<Rejection> refused =
      decide_on(scratch, credits, usage_stream_version, chunk, now_ms, decided);
  return engine::credits::chunk_decision(std::move(refused), kLlmCallsImportedEvent, stream, [&] {
    LF_ASSERT(scratch.period.has_value());
    return encode_imported(chunk, decided,
                           SpendFigures{*scratch.period, scratch.month_spend_usd_micros,
                                        scratch.spend_cap_usd_micros});
  });
}

void evolve_llm_calls_imported(State& state, const rapidjson::Value& payload) {
  std::optional<Error> error;
  credits::ImportReader in(error);
  credits::ImportHeader header;
  credits::read_import_header(in, payload, header);
  LF_ASSERT_MSG(!error.has_value(), error ? error->message.c_str() : "");
  const rapidjson::Value* calls = json_member(payload, "calls");
  LF_ASSERT_MSG(calls != nullptr && calls->IsArray(), "usage.llm_calls_imported carries calls");
  for (const rapidjson::Value& call : calls->GetArray()) {
    const std::optional<std::string_view> id = json_string(call, "llm_call_id");
    LF_ASSERT_MSG(id.has_value() && !id->empty(), "an imported call without its id");
    LF_ASSERT_MSG(!state.llm_call_ids.contains(*id), "a usage id recorded twice");
    state.llm_call_ids.push(std::string(*id));
  }
  const SpendFigures spend = read_figures(payload, "spend");
  state.period = spend.period;
  state.month_spend_usd_micros = spend.month_spend_usd_micros;
  state.spend_cap_usd_micros = spend.cap_usd_micros;
  credits::record_import_progress(credits::ImportLedger{state.imports, state.import_events}, header,
                                  kLlmCallsKind);
  const std::optional<std::string> broken = state_invariant_violation(state);
  LF_ASSERT_MSG(!broken.has_value(), broken.value_or("").c_str());
}

std::optional<Rejection> precheck_llm_calls_chunks(const std::vector<LlmCallsChunk>& chunks,
                                                   int64_t now_ms) {
  State state;
  const credits::State credits;
  int64_t version = 0;
  for (const LlmCallsChunk& chunk : chunks) {
    std::vector<DecidedCall> decided;
    if (std::optional<Rejection> refused =
            decide_on(state, credits, version, chunk, now_ms, decided))
      return refused;
    ++version;  // the chunk's one event
  }
  return std::nullopt;
}

}  // namespace lf::engine::usage

// Deciding and evolving import.media_buys chunks (import_buys.hpp,
// docs/migrating.md "media_buys"): each buy read as the live
// media_buy.create payload is and checked by the live rules, with the status
// the platform left it in; the accepted buys enter the state with it.
#include "engine/workflow/import_buys.hpp"

#include <variant>

#include "engine/credits/import_codec.hpp"
#include "engine/credits/import_reader.hpp"
#include "engine/credits/import_sequence.hpp"
#include "engine/workflow/codec.hpp"
#include "engine/workflow/commands.hpp"
#include "engine/workflow/decide.hpp"
#include "events/time.hpp"

namespace lf::engine::workflow {

namespace {

namespace why = credits::import_reason;

// As a live command's times may lead the engine's clock (clock skew).
constexpr int64_t kCreatedAtAheadMaxMs = 5 * 60 * kMillisPerSecond;

credits::ImportHeader header_of(const MediaBuysChunk& chunk) {
  return credits::ImportHeader{chunk.import_id, chunk.chunk, chunk.chunks, chunk.append,
                               chunk.source};
}

// "buys.csv:12 (packages at lines 4, 5): ".
std::string where(const MediaBuysChunk& chunk, const ImportedBuy& row) {
  std::string text = chunk.source.file + ":" + std::to_string(row.line);
  if (!row.package_lines.empty()) {
    text += " (packages at lines ";
    for (std::size_t i = 0; i < row.package_lines.size(); ++i)
      text += (i > 0 ? ", " : "") + std::to_string(row.package_lines[i]);
    text += ")";
  }
  return text + ": ";
}

// The live rules of media_buy.create on one buy, then the import's own.
std::optional<Rejection> check_row(const State& state, const MediaBuysChunk& chunk,
                                   ImportedBuy& row, int64_t now_ms) {
  CreateBuy create;
  create.media_buy_id = row.buy.media_buy_id;
  create.start_date = row.buy.start_date;
  create.end_date = row.buy.end_date;
  create.start_days = parse_date_days(row.buy.start_date).value_or(0);
  create.end_days = parse_date_days(row.buy.end_date).value_or(0);
  create.packages = row.buy.packages;
  Result<int64_t> total = check_new_buy(state, create);
  if (!total) return Rejection{total.error().code, where(chunk, row) + total.error().message};
  row.buy.budget_total_minor = total.value();
  if (row.created_at_ms > now_ms + kCreatedAtAheadMaxMs) {
    return Rejection{"invalid_created_at",
                     where(chunk, row) + "created_at " + format_rfc3339_ms(row.created_at_ms) +
                         " is after the engine's clock (" + format_rfc3339_ms(now_ms) + ")"};
  }
  return std::nullopt;
}

// Decides the chunk on `state` and `imports`, changing them as its event
// will: the rows get their budget totals.
std::optional<Rejection> decide_on(State& state, KindImports& imports, MediaBuysChunk& chunk,
                                   int64_t now_ms) {
  const credits::ImportHeader header = header_of(chunk);
  if (std::optional<Rejection> refused = credits::refuse_import_sequence(
          imports.by_kind, imports.events, imports.events + imports.live_events, header,
          kMediaBuysKind, "media buy"))
    return refused;
  for (ImportedBuy& row : chunk.rows) {
    if (std::optional<Rejection> refused = check_row(state, chunk, row, now_ms)) return refused;
    state.media_buys.emplace(row.buy.media_buy_id, MediaBuy{row.status, false, std::nullopt});
  }
  credits::record_import_progress(credits::ImportLedger{imports.by_kind, imports.events}, header,
                                  kMediaBuysKind);
  return std::nullopt;
}

std::string encode_imported(const MediaBuysChunk& chunk) {
  JsonWriter w;
  w.begin_object();
  w.field("kind", kMediaBuysKind);
  credits::write_import_header(w, header_of(chunk));
  w.key("buys");
  w.begin_array();
  for (const ImportedBuy& row : chunk.rows) {
    w.begin_object();
    w.field("line", row.line);
    w.key("package_lines");
    w.begin_array();
    for (const int64_t line : row.package_lines) w.int64(line);
    w.end_array();
    w.field("status", to_string(row.status));
    w.timestamp_field("created_at", row.created_at_ms);
    w.key("buy");  // as a media_buy.created payload
    w.raw(encode_event_payload(Event{row.buy}));
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return w.str();
}

// One row of the command: {line, package_lines?, media_buy, status, created_at}.
Result<ImportedBuy> parse_row(const rapidjson::Value& item, const std::string& file) {
  const std::optional<int64_t> line = item.IsObject() ? json_int64(item, "line") : std::nullopt;
  if (!line || *line < 1 || *line > credits::kLineMax)
    return make_error(why::kInvalidRow, "every row is an object with its line");
  const std::string at = file + ":" + std::to_string(*line) + ": ";
  ImportedBuy row;
  row.line = *line;
  if (const rapidjson::Value* lines = json_member(item, "package_lines")) {
    if (!lines->IsArray()) return make_error(why::kInvalidRow, at + "package_lines is no array");
    for (const rapidjson::Value& each : lines->GetArray()) {
      if (!each.IsInt64() || each.GetInt64() < 1 || each.GetInt64() > credits::kLineMax)
        return make_error(why::kInvalidRow, at + "package_lines holds line numbers");
      row.package_lines.push_back(each.GetInt64());
    }
  }
  const std::optional<BuyStatus> status =
      parse_buy_status(json_string(item, "status").value_or(""));
  if (!status) {
    return make_error(why::kInvalidRow,
                      at + "status must be pending, approved, active, paused, completed or failed");
  }
  row.status = *status;
  const std::optional<int64_t> created_at =
      parse_rfc3339_ms(json_string(item, "created_at").value_or(""));
  if (!created_at) return make_error(why::kInvalidRow, at + "created_at is no RFC 3339 time");
  row.created_at_ms = *created_at;
  Result<Command> parsed = parse_command("media_buy.create", json_member(item, "media_buy"));
  if (!parsed) {
    return make_error(why::kInvalidRow, at + parsed.error().code + ": " + parsed.error().message);
  }
  CreateBuy create = std::get<CreateBuy>(std::move(parsed).value());
  if (create.requires_approval || create.approval.approval_id || create.approval.reviewer_id ||
      create.approval.escalate_to || create.approval.risk_level || create.approval.expires_at_ms) {
    return make_error(why::kInvalidRow,
                      at + "an imported buy opens no approval (import its approval as a row of "
                           "approvals)");
  }
  if (!row.package_lines.empty() && row.package_lines.size() != create.packages.size())
    return make_error(why::kInvalidRow, at + "package_lines must name one line per package");
  row.buy = BuyCreated{std::move(create.media_buy_id),
                       std::move(create.principal_id),
                       std::move(create.campaign_name),
                       std::move(create.buyer_ref),
                       std::move(create.start_date),
                       std::move(create.end_date),
                       std::move(create.currency),
                       std::move(create.packages),
                       0,
                       false,
                       std::nullopt};
  return row;
}

}  // namespace

std::string media_buys_import_stream(std::string_view tenant_id) {
  return "media_buys/" + std::string(tenant_id);
}

Result<MediaBuysChunk> parse_media_buys_chunk(const rapidjson::Value* payload) {
  return credits::read_chunk_rows<MediaBuysChunk>(payload, "media buys", &parse_row);
}

Decision decide_media_buys_chunk(const State& state, const KindImports& imports,
                                 const MediaBuysChunk& chunk, const std::string& stream,
                                 int64_t now_ms) {
  State scratch_state = state;
  KindImports scratch = imports;
  MediaBuysChunk decided = chunk;
  return credits::chunk_decision(decide_on(scratch_state, scratch, decided, now_ms),
                                 kMediaBuysImportedEvent, stream,
                                 [&] { return encode_imported(decided); });
}

void evolve_media_buys_imported(State& state, KindImports& imports,
                                const rapidjson::Value& payload) {
  std::optional<Error> error;
  credits::ImportReader in(error);
  credits::ImportHeader header;
  credits::read_import_header(in, payload, header);
  LF_ASSERT_MSG(!error.has_value(), error ? error->message.c_str() : "");
  const rapidjson::Value* buys = json_member(payload, "buys");
  LF_ASSERT_MSG(buys != nullptr && buys->IsArray() && !buys->Empty(),
                "media_buy.imported carries buys");
  for (const rapidjson::Value& item : buys->GetArray()) {
    const rapidjson::Value* buy = json_member(item, "buy");
    LF_ASSERT_MSG(buy != nullptr, "an imported buy carries its media_buy.created payload");
    const BuyCreated created = std::get<BuyCreated>(decode_event("media_buy.created", *buy));
    const std::optional<BuyStatus> status =
        parse_buy_status(json_string(item, "status").value_or(""));
    LF_ASSERT_MSG(status.has_value(), "an imported buy has its status");
    const bool inserted =
        state.media_buys.emplace(created.media_buy_id, MediaBuy{*status, false, std::nullopt})
            .second;
    LF_ASSERT_MSG(inserted, "media_buy.imported for a media buy id already taken");
  }
  credits::record_import_progress(credits::ImportLedger{imports.by_kind, imports.events}, header,
                                  kMediaBuysKind);
#ifdef LF_DEEP_CHECKS
  if (std::optional<std::string> broken = state_invariant_violation(state)) {
    LF_ASSERT_MSG(false, broken->c_str());
  }
#endif
}

std::optional<Rejection> precheck_media_buys_chunks(const std::vector<MediaBuysChunk>& chunks,
                                                    int64_t now_ms) {
  State state;
  KindImports imports;
  for (const MediaBuysChunk& chunk : chunks) {
    MediaBuysChunk decided = chunk;
    if (std::optional<Rejection> refused = decide_on(state, imports, decided, now_ms))
      return refused;
  }
  return std::nullopt;
}

namespace {

Result<KindImports> read_kind_imports(const rapidjson::Value& value, std::string_view what) {
  Result<StreamImports> read = read_stream_imports(value, what);
  if (!read) return read.error();
  KindImports imports;
  static_cast<StreamImports&>(imports) = std::move(read).value();
  return imports;
}

}  // namespace

void write_workflow_imports(JsonWriter& writer, const WorkflowImports& imports) {
  writer.begin_object();
  writer.key("media_buys");
  write_stream_imports(writer, imports.media_buys);
  writer.key("approvals");
  write_stream_imports(writer, imports.approvals);
  writer.end_object();
}

Result<WorkflowImports> read_workflow_imports(const rapidjson::Value& value) {
  WorkflowImports imports;
  if (const rapidjson::Value* buys =
          value.IsObject() ? json_member(value, "media_buys") : nullptr) {
    Result<KindImports> read = read_kind_imports(*buys, "media buy imports");
    if (!read) return read.error();
    imports.media_buys = std::move(read).value();
  }
  if (const rapidjson::Value* approvals =
          value.IsObject() ? json_member(value, "approvals") : nullptr) {
    Result<KindImports> read = read_kind_imports(*approvals, "approval imports");
    if (!read) return read.error();
    imports.approvals = std::move(read).value();
  }
  return imports;
}

}  // namespace lf::engine::workflow

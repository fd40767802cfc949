#include "engine/workflow/import_stream.hpp"

#include <optional>
#include <utility>

#include "engine/credits/import_sequence.hpp"

namespace lf::engine::workflow {

void write_stream_imports(JsonWriter& writer, const StreamImports& imports) {
  writer.begin_object();
  writer.key("by_kind");
  credits::write_import_progress(writer, imports.by_kind);
  writer.field("events", imports.events);
  writer.end_object();
}

Result<StreamImports> read_stream_imports(const rapidjson::Value& value, std::string_view what) {
  auto bad = [what](std::string_view problem) {
    return make_error("invalid_snapshot", std::string(what) + ": " + std::string(problem));
  };
  const rapidjson::Value* by_kind = value.IsObject() ? json_member(value, "by_kind") : nullptr;
  if (by_kind == nullptr) return bad("by_kind is missing");
  Result<std::map<std::string, credits::ImportProgress>> progress =
      credits::read_import_progress(*by_kind);
  if (!progress) return bad(progress.error().message);
  StreamImports imports;
  imports.by_kind = std::move(*progress);
  const std::optional<int64_t> events = json_int64(value, "events");
  if (!events || *events < 0) return bad("events is missing");
  imports.events = *events;
  return imports;
}

}  // namespace lf::engine::workflow

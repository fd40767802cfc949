// JSON of the import payloads (engine/credits/import.hpp): the command's
// rows and the credits.ledger_imported event. Internal to engine/credits.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "engine/credits/codec.hpp"
#include "engine/credits/import.hpp"
#include "events/json.hpp"

namespace lf::engine::credits {

// What a command's chunk and its event share.
struct ImportHeader {
  std::string import_id;
  int64_t chunk = 0;
  int64_t chunks = 0;
  bool append = false;
  ImportSource source;
};

// A credits.ledger_imported payload, typed (its balance aside).
struct ImportedChunk {
  ImportHeader header;
  std::vector<LedgerEntry> entries;  // with reservation_id and expires_at as decided
  std::optional<ExpectedBalance> expected_balance;
};

class ImportReader;  // engine/credits/import_reader.hpp

// The header fields every import kind's command and event carry:
// import_id, chunk, chunks, append, source.
void read_import_header(ImportReader& in, const rapidjson::Value& payload, ImportHeader& header);
void write_import_header(JsonWriter& writer, const ImportHeader& header);

// One row of a chunk's "rows" (the CLI writes them one by one to size chunks).
void write_ledger_row(JsonWriter& writer, const LedgerEntry& entry);

std::string encode_ledger_imported(const ImportedChunk& imported, const Balance& balance);
// Asserts the payload is one the engine wrote.
ImportedChunk decode_ledger_imported(const rapidjson::Value& payload);

}  // namespace lf::engine::credits

// Reading the archive back as commit records (archive.hpp).
#include "consumers/pg/archive.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <string>

namespace lf::pg {

namespace {

std::string_view text_of(const pqxx::field& field) {
  return {field.c_str(), field.size()};
}

int64_t copy_integer(std::string_view text) {
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) {
    throw std::runtime_error("archive COPY: not an integer: " + std::string(text.substr(0, 40)));
  }
  return value;
}

// COPY's text format escapes a backslash and the control characters that
// would end a field or a line; undone in place, the field only shrinks.
std::string_view unescape_copy_field(char* begin, char* end) {
  char* out = begin;
  for (const char* in = begin; in < end; ++in) {
    if (*in != '\\') {
      *out++ = *in;
      continue;
    }
    if (++in == end) throw std::runtime_error("archive COPY: a field ends in a backslash");
    switch (*in) {
      case '\\':
        *out++ = '\\';
        break;
      case 'b':
        *out++ = '\b';
        break;
      case 'f':
        *out++ = '\f';
        break;
      case 'n':
        *out++ = '\n';
        break;
      case 'r':
        *out++ = '\r';
        break;
      case 't':
        *out++ = '\t';
        break;
      case 'v':
        *out++ = '\v';
        break;
      default:
        // NULL (\N) or an escape COPY TO does not write: no archived event has it.
        throw std::runtime_error(std::string("archive COPY: unexpected escape \\") + *in);
    }
  }
  return std::string_view(begin, static_cast<std::size_t>(out - begin));
}

}  // namespace

ArchivedEvent ArchivedEvent::of(const pqxx::row& row) {
  return ArchivedEvent{.kafka_offset = row[0].as<int64_t>(),
                       .seq = row[1].as<int64_t>(),
                       .record_id = text_of(row[2]),
                       .tenant_id = text_of(row[3]),
                       .command_id = text_of(row[4]),
                       .event = text_of(row[5]),
                       .event_index = row[6].as<int64_t>(),
                       .partition = row[7].as<int32_t>()};
}

ArchivedEvent parse_archive_copy_line(std::string& line) {
  if (!line.empty() && line.back() == '\n') line.pop_back();
  std::string_view fields[8];
  std::size_t count = 0;
  char* begin = line.data();
  char* const end = line.data() + line.size();
  for (;;) {
    char* tab = std::find(begin, end, '\t');
    if (count == 8) throw std::runtime_error("archive COPY: a line of more than 8 columns");
    fields[count++] = unescape_copy_field(begin, tab);
    if (tab == end) break;
    begin = tab + 1;
  }
  if (count != 8) throw std::runtime_error("archive COPY: a line of fewer than 8 columns");
  ArchivedEvent event;
  event.kafka_offset = copy_integer(fields[0]);
  event.seq = copy_integer(fields[1]);
  event.record_id = fields[2];
  event.tenant_id = fields[3];
  event.command_id = fields[4];
  event.event = fields[5];
  event.event_index = copy_integer(fields[6]);
  event.partition = static_cast<int32_t>(copy_integer(fields[7]));
  return event;
}

KeptEvent::KeptEvent(const ArchivedEvent& event) : numbers_(event) {
  numbers_.record_id = numbers_.tenant_id = numbers_.command_id = numbers_.event = {};
  text_.reserve(event.record_id.size() + event.tenant_id.size() + event.command_id.size() +
                event.event.size());
  text_.append(event.record_id);
  record_id_ = text_.size();
  text_.append(event.tenant_id);
  tenant_id_ = text_.size();
  text_.append(event.command_id);
  command_id_ = text_.size();
  text_.append(event.event);
}

ArchivedEvent KeptEvent::view() const {
  const std::string_view text(text_);
  ArchivedEvent event = numbers_;
  event.record_id = text.substr(0, record_id_);
  event.tenant_id = text.substr(record_id_, tenant_id_ - record_id_);
  event.command_id = text.substr(tenant_id_, command_id_ - tenant_id_);
  event.event = text.substr(command_id_);
  return event;
}

void RecordAssembler::add(const ArchivedEvent& event) {
  const int64_t seq = event.seq;
  if (!open_ || seq != seq_) {
    finish();
    seq_ = seq;
    offset_ = event.kafka_offset;
    writer_.reset();
    writer_.begin_object();
    writer_.field("tenant_id", event.tenant_id);
    writer_.field("command_id", event.command_id);
    writer_.field("seq", seq);
    writer_.field("record_id", event.record_id);
    writer_.field("prev_record_id", "");
    writer_.field("writer", "archive");
    writer_.key("events");
    writer_.begin_array();
    open_ = true;
  }
  writer_.raw(event.event);
}

void RecordAssembler::finish() {
  if (!open_) return;
  writer_.end_array();
  writer_.end_object();
  open_ = false;
  Result<DecodedRecord> record = decode_own_commit_record(writer_.view());
  if (!record) {
    throw std::runtime_error("event_log partition " + std::to_string(partition_) + " offset " +
                             std::to_string(offset_) +
                             " does not hold a readable record: " + record.error().message);
  }
  sink_(offset_, *record);
}

}  // namespace lf::pg

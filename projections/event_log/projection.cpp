// event_log mapping.
#include "projections/event_log/projection.hpp"

#include "events/json.hpp"

namespace lf::projections {

const TableSpec& EventLog::table() {
  static const TableSpec spec{"event_log",
                              {{"tenant_id", SqlType::uuid},
                               {"event_id", SqlType::text},
                               {"partition", SqlType::int32},
                               {"kafka_offset", SqlType::int64},
                               {"seq", SqlType::int64},
                               {"record_id", SqlType::text},
                               {"event_index", SqlType::int32},
                               {"command_id", SqlType::text},
                               {"type", SqlType::text},
                               {"schema_version", SqlType::int32},
                               {"stream", SqlType::text},
                               {"stream_version", SqlType::int64},
                               {"occurred_at", SqlType::timestamptz},
                               {"event", SqlType::jsonb}},
                              {0, 1}};
  return spec;
}

void EventLog::apply(const RecordAt& at, RowBatch& batch) const {
  // Archives each event as the log holds it: `object` and
  // written_schema_version, never the upcast payload the other projections read.
  const CommitRecordHeader& record = at.record->header;
  for (std::size_t i = 0; i < at.record->events.size(); ++i) {
    const DecodedEvent& event = at.record->events[i];
    const EventHeader& header = event.header;
    batch.insert(table(), {header.tenant_id, header.event_id, static_cast<int64_t>(at.partition),
                           at.offset, record.seq, record.record_id,
                           static_cast<int64_t>(at.event_index(i)), header.command_id, header.type,
                           // As written: the archive keeps old events as
                           // they are (the event JSON too), never upcast.
                           static_cast<int64_t>(event.written_schema_version), header.stream,
                           header.stream_version, timestamp_value(header.occurred_at_ms),
                           Json{json_to_string(*event.object)}});
  }
}

}  // namespace lf::projections

#include "projections/feed.hpp"

#include "events/known_events.hpp"

namespace lf::projections {

std::string stream_key(std::string_view tenant_id, std::string_view stream) {
  std::string key;
  key.reserve(tenant_id.size() + 1 + stream.size());
  key.append(tenant_id);
  key.push_back('\n');
  key.append(stream);
  return key;
}

bool all_events_known(const DecodedRecord& record) {
  const KnownEvents& known = KnownEvents::embedded();
  for (const DecodedEvent& event : record.events) {
    if (!known.knows(event.header.type, event.header.schema_version)) return false;
  }
  return true;
}

Fed feed_accepted(const Projection& projection, const RecordAt& at, HeldStreams& held,
                  RowBatch& batch, const FeedOptions& options) {
  const DecodedRecord& record = *at.record;
  Fed fed;
  const bool all_known = options.all_known ? *options.all_known : all_events_known(record);
  if (all_known && held.none() && options.only_stream == nullptr) {
    projection.apply(at, batch);  // the hot path: nothing to leave out
    return fed;
  }
  const KnownEvents& known = KnownEvents::embedded();
  std::vector<int32_t> applied;
  for (std::size_t index = 0; index < record.events.size(); ++index) {
    const EventHeader& header = record.events[index].header;
    if (options.only_stream != nullptr && stream_key(header) != *options.only_stream) {
      continue;
    }
    const UnknownEventPolicy policy =
        known.knows(header.type, header.schema_version)
            ? UnknownEventPolicy::apply
            : options.unknown_policy.value_or(projection.unknown_event_policy(header.type));
    if (policy == UnknownEventPolicy::skip) {
      ++fed.skipped;
      continue;
    }
    bool hold = held.holds(header);
    if (!hold && policy == UnknownEventPolicy::park) {
      held.park(header, at);
      hold = true;
    }
    if (hold) {
      fed.held.push_back(static_cast<int32_t>(index));
    } else {
      applied.push_back(static_cast<int32_t>(index));
    }
  }
  fed.whole = applied.size() == record.events.size();
  if (fed.whole) {
    projection.apply(at, batch);
  } else if (!applied.empty()) {
    const RecordSubset subset(record, std::move(applied));
    projection.apply(subset.at(at.partition, at.offset), batch);
  }
  return fed;
}

}  // namespace lf::projections

// The one feed from the log to the read tables: a commit record is admitted
// through its partition's chain (events/chain.hpp) and, if accepted, each of
// its events is applied, skipped or held as the unknown-event policy and the
// parked streams say; the applied events are mapped into row changes.
//
// The projector, `ledgerflow rebuild` and `ledgerflow verify`'s fold all feed
// records through here, so the rule that makes the read tables equal the log
// is written once. What differs between them is only what a held stream
// means (HeldStreams): the projector parks it in PostgreSQL, a rebuild
// refuses to go on, the fold leaves it out as the projector would.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "events/chain.hpp"
#include "events/envelope.hpp"
#include "projections/projection.hpp"

namespace lf::projections {

// The streams one projection holds back (parked): asked event by event.
class HeldStreams {
 public:
  virtual ~HeldStreams() = default;
  // Whether no stream is held (the feed's fast path asks nothing else then).
  virtual bool none() const = 0;
  // Whether the event's stream is held.
  virtual bool holds(const EventHeader& event) const = 0;
  // The projection's policy parks the event's stream from this event on:
  // `holds` is true for it afterwards.
  virtual void park(const EventHeader& event, const RecordAt& at) = 0;
};

// A stream's key among the held ones: "<tenant>\n<stream>".
std::string stream_key(std::string_view tenant_id, std::string_view stream);
inline std::string stream_key(const EventHeader& event) {
  return stream_key(event.tenant_id, event.stream);
}

// The held streams as a set of stream keys.
class HeldStreamSet : public HeldStreams {
 public:
  bool none() const override { return keys_.empty(); }
  bool holds(const EventHeader& event) const override {
    return !keys_.empty() && keys_.count(stream_key(event)) != 0;
  }
  void park(const EventHeader& event, const RecordAt&) override { keys_.insert(stream_key(event)); }
  const std::set<std::string>& keys() const { return keys_; }

 private:
  std::set<std::string> keys_;
};

// How one record goes into one projection.
struct FeedOptions {
  // Whether every event of the record is known to this binary
  // (all_events_known), when the caller has asked once for many projections.
  std::optional<bool> all_known;
  // Overrides the projection's unknown-event policy (the projector's
  // --unknown-events).
  std::optional<UnknownEventPolicy> unknown_policy;
  // Only the events of this stream (stream_key) are fed; the others
  // are left as if absent (the projector isolating one stream).
  const std::string* only_stream = nullptr;
};

// What one accepted record did in one projection.
struct Fed {
  // Every event was applied (the common case; no allocation).
  bool whole = true;
  // Indexes of the events held back (their stream is, or became, parked).
  std::vector<int32_t> held;
  // Unknown events the policy skipped.
  int64_t skipped = 0;
};

// Whether this binary knows every event of `record` (type and version).
bool all_events_known(const DecodedRecord& record);

// Feeds an accepted record (`at`) to `projection`: an event this binary
// knows is applied; an unknown one follows the policy (apply, skip, or park
// its stream); an event of a held stream is held. Skips are counted before
// the held check, so the count does not depend on parking. The applied
// events (the whole record, or a RecordSubset of it) are mapped into
// `batch`.
Fed feed_accepted(const Projection& projection, const RecordAt& at, HeldStreams& held,
                  RowBatch& batch, const FeedOptions& options = {});

}  // namespace lf::projections

// Builds the events of one decision: each typed event is checked and encoded
// at its current schema_version on its stream; events another domain decided
// in the same record (a run's credit hold) are appended as they come.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "engine/domain.hpp"
#include "engine/workflow/codec.hpp"
#include "engine/workflow/events.hpp"

namespace lf::engine::workflow {

class Emitter {
 public:
  explicit Emitter(std::string tenant_id) : tenant_id_(std::move(tenant_id)) {}

  void emit(const Event& event) {
    events_.push_back(NewEvent{std::string(event_type(event)), event_schema_version(event),
                               event_stream(event, tenant_id_), encode_event_payload(event),
                               nullptr});
  }
  void append(std::vector<NewEvent> events) {
    for (NewEvent& event : events) events_.push_back(std::move(event));
  }

  std::size_t size() const { return events_.size(); }
  std::vector<NewEvent> take() { return std::move(events_); }
  Decision accept() {
    LF_ASSERT(!events_.empty());
    return Decision::accept(std::move(events_));
  }

 private:
  std::string tenant_id_;
  std::vector<NewEvent> events_;
};

}  // namespace lf::engine::workflow

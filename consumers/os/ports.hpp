// A loopback TCP port nobody listens on right now: bound to port 0 (the
// kernel picks a free one) and closed again. For a server we start, a
// service's metrics port, or a connection that must be refused.
#pragma once

namespace lf::os {

// Throws std::runtime_error naming the failing call.
int free_loopback_port();

}  // namespace lf::os

// A free loopback port, asked of the kernel.
#include "consumers/os/ports.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>

#include "consumers/os/system_call.hpp"

namespace lf::os {

int free_loopback_port() {
  FileDescriptor socket_fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (socket_fd.get() < 0) throw system_failure("socket", errno);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (::bind(socket_fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    throw system_failure("bind 127.0.0.1:0", errno);
  }
  socklen_t length = sizeof(address);
  if (::getsockname(socket_fd.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw system_failure("getsockname", errno);
  }
  return ntohs(address.sin_port);
}

}  // namespace lf::os

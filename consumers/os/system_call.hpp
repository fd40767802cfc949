// What the process toolkit's system calls share: an errno turned into an
// exception that names the call, and a file descriptor that closes itself.
#pragma once

#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <string>

namespace lf::os {

// "<what>: <strerror(error_number)>".
inline std::runtime_error system_failure(const std::string& what, int error_number) {
  return std::runtime_error(what + ": " + std::strerror(error_number));
}

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd = -1) : fd_(fd) {}
  ~FileDescriptor() { reset(); }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(other.release()) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = other.release();
    }
    return *this;
  }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

}  // namespace lf::os

// SHA-256 (FIPS 180-4), incremental, for an import's identity (the hash of a
// tenant's rows). Pure; no dependency.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace lf::importer {

class Sha256 {
 public:
  Sha256();
  void update(std::string_view bytes);
  // The digest as 64 lower-case hex digits; the object is spent after it.
  std::string hex_digest();

 private:
  void block(const unsigned char* data);

  std::array<uint32_t, 8> state_;
  std::array<unsigned char, 64> buffer_{};
  std::size_t buffered_ = 0;
  uint64_t length_bytes_ = 0;
};

// The hex SHA-256 of `bytes`.
std::string sha256_hex(std::string_view bytes);

}  // namespace lf::importer

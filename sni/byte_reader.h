// A bounds-checked big-endian reader over hostile bytes. Every read checks
// what remains; a failed read returns false and the caller stops there, so
// parsers can chain reads with && and never index past the end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace meshgate::sni {

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  std::size_t remaining() const { return bytes_.size() - pos_; }
  bool empty() const { return remaining() == 0; }

  bool read_u8(uint8_t* out) {
    if (remaining() < 1) return false;
    *out = bytes_[pos_++];
    return true;
  }

  bool read_u16(uint16_t* out) {
    if (remaining() < 2) return false;
    *out = static_cast<uint16_t>((bytes_[pos_] << 8) | bytes_[pos_ + 1]);
    pos_ += 2;
    return true;
  }

  bool read_u24(uint32_t* out) {
    if (remaining() < 3) return false;
    *out = (uint32_t{bytes_[pos_]} << 16) | (uint32_t{bytes_[pos_ + 1]} << 8) | bytes_[pos_ + 2];
    pos_ += 3;
    return true;
  }

  bool skip(std::size_t n) {
    if (remaining() < n) return false;
    pos_ += n;
    return true;
  }

  bool read_bytes(std::size_t n, std::span<const uint8_t>* out) {
    if (remaining() < n) return false;
    *out = bytes_.subspan(pos_, n);
    pos_ += n;
    return true;
  }

  // A TLS vector with a 1-byte length prefix: opaque x<0..2^8-1>.
  bool read_vector8(std::span<const uint8_t>* out) {
    uint8_t length = 0;
    return read_u8(&length) && read_bytes(length, out);
  }

  // A TLS vector with a 2-byte length prefix: opaque x<0..2^16-1>.
  bool read_vector16(std::span<const uint8_t>* out) {
    uint16_t length = 0;
    return read_u16(&length) && read_bytes(length, out);
  }

 private:
  std::span<const uint8_t> bytes_;
  std::size_t pos_ = 0;
};

}  // namespace meshgate::sni

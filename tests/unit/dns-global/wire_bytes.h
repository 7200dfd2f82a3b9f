// A DNS packet built field by field, for tests of the reader on bytes no
// writer would produce.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "dns-global/message.h"

namespace meshgate::dns {

// A packet, field by field.
class Bytes {
 public:
  Bytes& u8(unsigned value) {
    data_.push_back(static_cast<uint8_t>(value));
    return *this;
  }
  Bytes& u16(unsigned value) { return u8(value >> 8 & 0xFF).u8(value & 0xFF); }
  Bytes& u32(uint32_t value) { return u16(value >> 16).u16(value & 0xFFFF); }
  Bytes& raw(std::string_view bytes) {
    data_.insert(data_.end(), bytes.begin(), bytes.end());
    return *this;
  }
  // Uncompressed: "" is the root.
  Bytes& name(std::string_view dotted) {
    while (!dotted.empty()) {
      const std::size_t dot = dotted.find('.');
      const std::string_view label = dotted.substr(0, dot);
      u8(static_cast<unsigned>(label.size())).raw(label);
      dotted.remove_prefix(dot == std::string_view::npos ? dotted.size() : dot + 1);
    }
    return u8(0);
  }
  Bytes& pointer(unsigned offset) { return u16(0xC000 | offset); }
  Bytes& header(unsigned id, unsigned flags, unsigned qd, unsigned an, unsigned ns, unsigned ar) {
    return u16(id).u16(flags).u16(qd).u16(an).u16(ns).u16(ar);
  }
  Bytes& question_fields(unsigned type, unsigned klass = kClassIn) { return u16(type).u16(klass); }
  // Type, class, TTL and rdlength: what follows an owner name.
  Bytes& rr_fields(unsigned type, unsigned klass, uint32_t ttl, unsigned rdlength) {
    return u16(type).u16(klass).u32(ttl).u16(rdlength);
  }
  Bytes& opt(unsigned udp_size, uint32_t ttl = 0, std::string_view options = "") {
    u8(0).rr_fields(rrtype::kOpt, udp_size, ttl, static_cast<unsigned>(options.size()));
    return raw(options);
  }
  std::size_t size() const { return data_.size(); }
  const std::vector<uint8_t>& data() const { return data_; }

 private:
  std::vector<uint8_t> data_;
};

}  // namespace meshgate::dns

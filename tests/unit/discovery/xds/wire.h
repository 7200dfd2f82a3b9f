// Protobuf wire format by hand (protobuf.dev/programming-guides/encoding):
// the expected bytes of the wire tests are built from field numbers typed in
// from Envoy's published .proto files, not from the generated code.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace meshgate::discovery::xds::wire {

inline std::string varint(uint64_t value) {
  std::string out;
  while (value >= 0x80) {
    out += static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  out += static_cast<char>(value);
  return out;
}

// Wire types: 0 varint, 2 length-delimited.
inline std::string tag(int field, int wire_type) {
  return varint((static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(wire_type));
}

inline std::string number(int field, uint64_t value) {
  return tag(field, 0) + varint(value);
}

// A string, bytes or embedded message field.
inline std::string bytes(int field, std::string_view content) {
  return tag(field, 2) + varint(content.size()) + std::string(content);
}

// google.protobuf.Any{type_url = 1, value = 2}.
inline std::string any(int field, std::string_view type_url, std::string_view value) {
  return bytes(field, bytes(1, type_url) + bytes(2, value));
}

}  // namespace meshgate::discovery::xds::wire

// Test helpers that build TLS ClientHello bytes by hand and re-frame the
// handshake message of a real one across TLS records.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sni/client_hello.h"

namespace meshgate::sni::test {

using Bytes = std::vector<uint8_t>;

Bytes to_bytes(std::string_view text);
Bytes concat(std::initializer_list<Bytes> parts);
Bytes u16(uint16_t value);
// A TLS vector: `content` behind a 1-, 2- or 3-byte length.
Bytes vec8(const Bytes& content);
Bytes vec16(const Bytes& content);
Bytes vec24(const Bytes& content);

// The fields of a ClientHello body; build_body() adds the length prefixes.
struct HelloSpec {
  uint16_t legacy_version = 0x0303;
  Bytes session_id;
  Bytes cipher_suites = {0x13, 0x01, 0xc0, 0x2f};
  Bytes compression_methods = {0x00};
  bool with_extensions = true;
  std::vector<std::pair<uint16_t, Bytes>> extensions;
};

Bytes build_body(const HelloSpec& spec);

// Extension data for server_name with one host_name, ALPN, supported_versions.
Bytes server_name_data(std::string_view host);
Bytes alpn_data(const std::vector<std::string>& protocols);
Bytes supported_versions_data(const std::vector<uint16_t>& versions);

// A handshake message: type(1) length(3) body.
Bytes handshake(const Bytes& body, uint8_t type = 1);
// One TLS record: type(1) version(2) length(2) fragment. The length is
// taken from fragment.size() truncated to 16 bits.
Bytes record(const Bytes& fragment, uint16_t version = 0x0301, uint8_t type = 22);
// `payload` cut into records of `fragment_size` bytes (the last may be shorter).
Bytes reframe(const Bytes& payload, std::size_t fragment_size, uint16_t version = 0x0301);
// A whole ClientHello in one record.
Bytes hello_record(const HelloSpec& spec);

// The concatenated fragments of the handshake records at the start of
// `records`, up to the end of the first handshake message.
Bytes handshake_payload(const Bytes& records);

// Parses `bytes` with parse_client_hello, with one ClientHelloParser::feed
// and one byte per feed; adds a test failure unless all three agree on the
// status, detail and hello. Returns the stateless result. `bytes` should
// not exceed max_bytes: feed() refuses bytes beyond the limit outright.
ParseResult parse_all_ways(const Bytes& bytes, std::size_t max_bytes, ClientHello* out);

// Feeds `hello` as two pieces, split at every point in turn; adds a test
// failure (and returns false at the first) unless the first piece is
// kNeedMore, the second kDone with a hello described as `expected`, and
// buffered() holds every byte.
bool expect_done_at_every_split(const Bytes& hello, const std::string& expected);

// A readable summary of every field, so results compare with one EXPECT_EQ.
std::string describe(const ClientHello& hello);

}  // namespace meshgate::sni::test

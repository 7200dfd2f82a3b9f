// Incremental TLS ClientHello parser. Pure code, no I/O.
//
// The parser owns a bounded buffer of every byte fed to it; the passthrough
// session reads straight into that buffer and, once the parser says kDone,
// replays buffered() to the upstream unchanged. It handles any split of the
// bytes across reads (down to one byte each) and a ClientHello handshake
// message fragmented across several TLS records.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sni/record_scanner.h"

namespace meshgate::sni {

// Default hard limit on the bytes buffered while waiting for a ClientHello.
inline constexpr std::size_t kDefaultMaxClientHelloBytes = 64 * 1024;

enum class ParseStatus {
  kNeedMore,   // a valid prefix; feed more bytes
  kDone,       // a complete ClientHello; hello() is valid
  kNotTls,     // the first record is not a TLS handshake record
  kMalformed,  // TLS framing, but the bytes break the protocol
  kTooLarge,   // the ClientHello (or the bytes before it ends) exceeds the limit
};

const char* to_string(ParseStatus status);

struct ParseResult {
  ParseStatus status = ParseStatus::kNeedMore;
  // A short static description of why the status is not kNeedMore/kDone
  // (for debug logs); never null.
  const char* detail = "";
};

struct ClientHello {
  uint16_t record_version = 0;  // version field of the first TLS record
  uint16_t legacy_version = 0;  // ClientHello.legacy_version
  bool has_server_name = false;
  std::string server_name;                   // host_name from server_name (RFC 6066)
  std::vector<std::string> alpn;             // protocols in the client's order (RFC 7301)
  std::vector<uint16_t> supported_versions;  // supported_versions (RFC 8446 4.2.1)
};

// Parses a complete byte prefix in one call. Stateless; `bytes` is everything
// received on the connection so far. On kDone fills *out.
ParseResult parse_client_hello(std::span<const uint8_t> bytes, std::size_t max_bytes,
                               ClientHello* out);

class ClientHelloParser {
 public:
  explicit ClientHelloParser(std::size_t max_bytes = kDefaultMaxClientHelloBytes);

  // Free space to read into: at most max_bytes - buffered().size() bytes and
  // never empty unless the limit is reached. Valid until the next call.
  std::span<uint8_t> write_area();
  // Accounts `n` bytes written into write_area() and parses.
  ParseResult commit(std::size_t n);
  // After kDone: accounts `n` more bytes written into write_area(), kept
  // with the rest for replay and not parsed (what a client sends while the
  // gateway still tries endpoints). Ignored before kDone.
  void keep(std::size_t n);
  // Copies `bytes` in and parses; for tests and callers without their own reads.
  // Bytes beyond the limit give kTooLarge.
  ParseResult feed(std::span<const uint8_t> bytes);

  // Valid after commit()/feed() returned kDone.
  const ClientHello& hello() const { return hello_; }
  // Every byte accepted so far, ClientHello and anything after it.
  std::span<const uint8_t> buffered() const { return {buffer_.data(), size_}; }
  std::size_t max_bytes() const { return max_bytes_; }

 private:
  std::size_t max_bytes_;
  std::vector<uint8_t> buffer_;
  std::size_t size_ = 0;
  std::size_t needed_ = 0;  // do not re-parse before this many bytes are buffered
  ParseResult last_{};
  ClientHello hello_;
  // Framing progress kept between calls, so each byte is examined once.
  RecordScanner scanner_;

  ParseResult parse();
};

}  // namespace meshgate::sni

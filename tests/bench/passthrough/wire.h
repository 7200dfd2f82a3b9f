// The passthrough benchmark's wire protocol (tests/bench/passthrough/).
//
// Every connection starts with a real ClientHello record, so a proxy routes it
// by SNI exactly as it would route Istio traffic, then one command byte tells
// the backend what to do with the rest of the stream:
//   'E'          echo every byte until the client half-closes, then close;
//   'S'          send kSinkGreeting, read and discard until EOF, then close;
//   'D' + u64 N  (big-endian) send N bytes, then close.
// The backend skips the record without looking inside it: only the 5-byte
// header is read, and its length is bounded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace meshgate::bench {

using Bytes = std::vector<uint8_t>;

enum class Command : uint8_t { kEcho = 'E', kSink = 'S', kDownload = 'D' };

inline constexpr std::size_t kRecordHeaderBytes = 5;
// TLSPlaintext.length may not exceed 2^14 (RFC 8446 5.1); a little slack for
// clients that pad.
inline constexpr std::size_t kMaxRecordLength = 16384 + 256;
inline constexpr std::size_t kCountBytes = 8;
// What the backend sends at once for 'S', as a TLS server answers a
// ClientHello with its first flight at once: a proxy that waits for the
// server's first byte (meshgate's timeouts.upstream_first_byte) sees it on
// every kind of connection. About a TLS 1.3 ServerHello's size.
inline constexpr std::size_t kSinkGreeting = 96;

// The ClientHello flight OpenSSL writes for this SNI and ALPN list, checked to
// be exactly one handshake record. Empty when OpenSSL failed or wrote
// anything else.
Bytes client_hello(const std::string& sni, const std::vector<std::string>& alpn);

// What a client sends before its payload: the hello, then the command (and
// for kDownload the count).
Bytes preamble(const Bytes& hello, Command command, uint64_t download_count = 0);

// Both executables hold thousands of sockets: raises RLIMIT_NOFILE's soft
// limit to the hard one and returns the soft limit now in force.
uint64_t raise_fd_limit();

// The backend's side: consumes the record and the command from whatever
// pieces the bytes arrive in. Holds at most 8 bytes of its own; never reads
// past the command (and count), so the caller keeps the rest of its buffer.
class PreambleParser {
 public:
  enum class Status { kNeedMore, kDone, kBad };

  struct Result {
    Status status;
    std::size_t consumed;  // bytes of `data` that belonged to the preamble
  };

  Result feed(const uint8_t* data, std::size_t size);

  // Valid once feed() returned kDone.
  Command command() const { return command_; }
  uint64_t download_count() const { return count_; }

 private:
  enum class Phase { kHeader, kBody, kCommand, kCount, kDone, kBad };

  // Each step consumes from data and returns how much; advances phase_.
  std::size_t step(const uint8_t* data, std::size_t size);
  std::size_t take_header(const uint8_t* data, std::size_t size);
  std::size_t take_count(const uint8_t* data, std::size_t size);
  void take_command(uint8_t byte);

  Phase phase_ = Phase::kHeader;
  uint8_t header_[kRecordHeaderBytes] = {};
  std::size_t have_ = 0;       // bytes gathered of header_ or of the count
  std::size_t body_left_ = 0;  // record body still to skip
  Command command_ = Command::kEcho;
  uint64_t count_ = 0;
};

}  // namespace meshgate::bench

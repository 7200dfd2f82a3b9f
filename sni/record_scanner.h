// Incremental TLS record framing for the first handshake message
// (RFC 8446 5.1, RFC 5246 6.2.1). It walks record headers as bytes arrive,
// remembering where it stopped, so feeding a ClientHello one byte at a time
// costs O(total bytes). It only frames; the ClientHello body is parsed once
// the whole handshake message has arrived.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace meshgate::sni {

// Defined in sni/client_hello.h, which holds a RecordScanner and so cannot be
// included from here.
enum class ParseStatus;

inline constexpr uint8_t kHandshakeContentType = 22;
inline constexpr uint8_t kClientHelloMessageType = 1;
inline constexpr std::size_t kRecordHeaderSize = 5;
inline constexpr std::size_t kHandshakeHeaderSize = 4;
inline constexpr std::size_t kMaxRecordPayload = 16384;  // 2^14

struct ScanStep {
  // kNeedMore, kDone (the handshake message is complete) or a final error.
  ParseStatus status;
  const char* detail = "";  // static, for final errors
  // With kNeedMore: the scanner cannot progress before this many bytes are buffered.
  std::size_t needed = 0;
};

class RecordScanner {
 public:
  explicit RecordScanner(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  // `bytes` is everything buffered so far: what the previous call saw plus
  // possibly more (its storage may have moved). Only unseen bytes are read.
  // Stop calling once the result is not kNeedMore.
  ScanStep advance(std::span<const uint8_t> bytes);

  // The version field of the first record (valid once its header is read).
  uint16_t record_version() const { return record_version_; }

  // After advance(bytes) returned kDone: the handshake message body without
  // its 4-byte header. A view into `bytes` when the first record holds it
  // all, otherwise the record payloads joined in *scratch.
  std::span<const uint8_t> body(std::span<const uint8_t> bytes,
                                std::vector<uint8_t>* scratch) const;

 private:
  std::optional<ScanStep> open_record(std::span<const uint8_t> bytes);
  std::optional<ScanStep> consume_payload(std::span<const uint8_t> bytes);
  std::optional<ScanStep> take_header_byte(uint8_t byte);
  std::optional<ScanStep> check_size() const;
  std::size_t next_needed() const;

  std::size_t max_bytes_;
  bool in_record_ = false;
  bool seen_record_ = false;      // the first record header has been read
  std::size_t record_start_ = 0;  // header offset of the next record (when !in_record_)
  std::size_t payload_pos_ = 0;   // next unread payload byte (when in_record_)
  std::size_t record_end_ = 0;    // end of the current record's payload
  uint16_t record_version_ = 0;
  std::array<uint8_t, kHandshakeHeaderSize> header_{};
  std::size_t header_len_ = 0;   // handshake header bytes collected so far
  std::size_t body_length_ = 0;  // from the handshake header
  std::size_t body_seen_ = 0;
};

}  // namespace meshgate::sni

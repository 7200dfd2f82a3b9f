#include "sni/record_scanner.h"

#include <algorithm>

#include "sni/client_hello.h"

namespace meshgate::sni {
namespace {

std::optional<ScanStep> need(std::size_t bytes) {
  return ScanStep{ParseStatus::kNeedMore, "", bytes};
}

std::optional<ScanStep> fail(ParseStatus status, const char* detail) {
  return ScanStep{status, detail, 0};
}

uint16_t load_u16(std::span<const uint8_t> bytes, std::size_t at) {
  return static_cast<uint16_t>((bytes[at] << 8) | bytes[at + 1]);
}

// Record versions 0x0300 (SSL 3.0) to 0x0304; TLS 1.3 still writes 0x0301/0x0303.
bool is_tls_record_version(uint16_t version) {
  return (version >> 8) == 3 && (version & 0xff) <= 4;
}

}  // namespace

ScanStep RecordScanner::advance(std::span<const uint8_t> bytes) {
  for (;;) {
    std::optional<ScanStep> stop = in_record_ ? consume_payload(bytes) : open_record(bytes);
    if (stop) return *stop;
  }
}

// Reads the header of the record at record_start_, judging each field as soon
// as its bytes are there so a non-TLS client is turned away on its first byte.
std::optional<ScanStep> RecordScanner::open_record(std::span<const uint8_t> bytes) {
  const std::size_t available = bytes.size() - record_start_;
  if (available < 1) return need(record_start_ + 1);
  if (bytes[record_start_] != kHandshakeContentType) {
    return seen_record_ ? fail(ParseStatus::kMalformed, "non-handshake record inside ClientHello")
                        : fail(ParseStatus::kNotTls, "first record is not a handshake record");
  }
  if (available < 3) return need(record_start_ + 3);
  const uint16_t version = load_u16(bytes, record_start_ + 1);
  if (!is_tls_record_version(version)) {
    return seen_record_ ? fail(ParseStatus::kMalformed, "bad record version")
                        : fail(ParseStatus::kNotTls, "first record version is not TLS");
  }
  if (available < kRecordHeaderSize) return need(record_start_ + kRecordHeaderSize);
  const std::size_t length = load_u16(bytes, record_start_ + 3);
  if (length == 0) return fail(ParseStatus::kMalformed, "empty handshake record");
  if (length > kMaxRecordPayload) return fail(ParseStatus::kMalformed, "record length over 2^14");
  if (!seen_record_) record_version_ = version;
  seen_record_ = true;
  in_record_ = true;
  payload_pos_ = record_start_ + kRecordHeaderSize;
  record_end_ = payload_pos_ + length;
  return std::nullopt;
}

// Walks the buffered part of the current record's payload: the handshake
// header byte by byte (it may be split across records), then the body by count.
std::optional<ScanStep> RecordScanner::consume_payload(std::span<const uint8_t> bytes) {
  const std::size_t end = std::min(bytes.size(), record_end_);
  while (payload_pos_ < end && header_len_ < kHandshakeHeaderSize) {
    if (auto stop = take_header_byte(bytes[payload_pos_++])) return stop;
  }
  if (header_len_ == kHandshakeHeaderSize) {
    const std::size_t take = std::min(end - payload_pos_, body_length_ - body_seen_);
    payload_pos_ += take;
    body_seen_ += take;
    if (body_seen_ == body_length_) return ScanStep{ParseStatus::kDone, "", 0};
  }
  if (payload_pos_ < record_end_) return need(next_needed());
  in_record_ = false;
  record_start_ = record_end_;
  return std::nullopt;
}

std::optional<ScanStep> RecordScanner::take_header_byte(uint8_t byte) {
  header_[header_len_++] = byte;
  if (header_len_ == 1 && byte != kClientHelloMessageType) {
    return fail(ParseStatus::kMalformed, "handshake message is not a ClientHello");
  }
  if (header_len_ < kHandshakeHeaderSize) return std::nullopt;
  body_length_ = (std::size_t{header_[1]} << 16) | (std::size_t{header_[2]} << 8) | header_[3];
  return check_size();
}

// Refuses at once a message that cannot fit in max_bytes even if the rest
// arrived in full-size records, rather than buffering up to the limit.
std::optional<ScanStep> RecordScanner::check_size() const {
  const std::size_t in_this_record = record_end_ - payload_pos_;
  std::size_t fewest_bytes = payload_pos_ + body_length_;
  if (body_length_ > in_this_record) {
    const std::size_t rest = body_length_ - in_this_record;
    const std::size_t records = (rest + kMaxRecordPayload - 1) / kMaxRecordPayload;
    fewest_bytes = record_end_ + rest + records * kRecordHeaderSize;
  }
  if (fewest_bytes > max_bytes_) return fail(ParseStatus::kTooLarge, "ClientHello over the limit");
  return std::nullopt;
}

// Called with every buffered payload byte consumed and the record unfinished:
// the next header byte, or the end of the body or of this record.
std::size_t RecordScanner::next_needed() const {
  if (header_len_ < kHandshakeHeaderSize) return payload_pos_ + 1;
  return payload_pos_ + std::min(record_end_ - payload_pos_, body_length_ - body_seen_);
}

std::span<const uint8_t> RecordScanner::body(std::span<const uint8_t> bytes,
                                             std::vector<uint8_t>* scratch) const {
  constexpr std::size_t kBodyStart = kRecordHeaderSize + kHandshakeHeaderSize;
  if (bytes.size() >= kBodyStart + body_length_ &&
      load_u16(bytes, 3) >= kHandshakeHeaderSize + body_length_) {
    return bytes.subspan(kBodyStart, body_length_);
  }
  scratch->clear();
  scratch->reserve(body_length_);
  std::size_t header_left = kHandshakeHeaderSize;
  // The bounds guard only matters if called without a kDone scan of `bytes`.
  for (std::size_t pos = 0;
       scratch->size() < body_length_ && pos + kRecordHeaderSize <= bytes.size();) {
    const std::size_t start = pos + kRecordHeaderSize;
    const std::size_t end = std::min(start + load_u16(bytes, pos + 3), bytes.size());
    const std::size_t skipped = std::min(header_left, end - start);
    header_left -= skipped;
    const std::size_t take = std::min(end - start - skipped, body_length_ - scratch->size());
    const auto from = bytes.begin() + static_cast<std::ptrdiff_t>(start + skipped);
    scratch->insert(scratch->end(), from, from + static_cast<std::ptrdiff_t>(take));
    pos = end;
  }
  return *scratch;
}

}  // namespace meshgate::sni

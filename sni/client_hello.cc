#include "sni/client_hello.h"

#include <algorithm>
#include <utility>

#include "sni/client_hello_body.h"

namespace meshgate::sni {
namespace {

// One pending connection costs this much until its hello proves larger.
constexpr std::size_t kInitialBufferSize = 2048;

constexpr ParseResult kLimitReached{ParseStatus::kTooLarge, "limit reached before ClientHello end"};
constexpr ParseResult kBeyondLimit{ParseStatus::kTooLarge, "bytes beyond the limit"};

ParseResult to_result(const ScanStep& step) {
  return {step.status, step.detail};
}

// Parses the body once the scanner has seen the whole handshake message.
ParseResult finish(const RecordScanner& scanner, std::span<const uint8_t> bytes, ClientHello* out) {
  std::vector<uint8_t> scratch;
  ClientHello hello;
  hello.record_version = scanner.record_version();
  const ParseResult result = parse_client_hello_body(scanner.body(bytes, &scratch), &hello);
  if (result.status == ParseStatus::kDone) *out = std::move(hello);
  return result;
}

}  // namespace

const char* to_string(ParseStatus status) {
  switch (status) {
    case ParseStatus::kNeedMore:
      return "need_more";
    case ParseStatus::kDone:
      return "done";
    case ParseStatus::kNotTls:
      return "not_tls";
    case ParseStatus::kMalformed:
      return "malformed";
    case ParseStatus::kTooLarge:
      return "too_large";
  }
  return "unknown";
}

ParseResult parse_client_hello(std::span<const uint8_t> bytes, std::size_t max_bytes,
                               ClientHello* out) {
  const std::span<const uint8_t> accepted = bytes.first(std::min(bytes.size(), max_bytes));
  RecordScanner scanner(max_bytes);
  const ScanStep step = scanner.advance(accepted);
  if (step.status == ParseStatus::kDone) return finish(scanner, accepted, out);
  if (step.status == ParseStatus::kNeedMore && accepted.size() >= max_bytes) return kLimitReached;
  return to_result(step);
}

ClientHelloParser::ClientHelloParser(std::size_t max_bytes)
    : max_bytes_(max_bytes), scanner_(max_bytes) {}

std::span<uint8_t> ClientHelloParser::write_area() {
  if (size_ == buffer_.size() && buffer_.size() < max_bytes_) {
    buffer_.resize(std::min(std::max(buffer_.size() * 2, kInitialBufferSize), max_bytes_));
  }
  return {buffer_.data() + size_, buffer_.size() - size_};
}

ParseResult ClientHelloParser::commit(std::size_t n) {
  if (last_.status != ParseStatus::kNeedMore) return last_;
  size_ += std::min(n, buffer_.size() - size_);  // an overstated n cannot run past the buffer
  return parse();
}

void ClientHelloParser::keep(std::size_t n) {
  if (last_.status != ParseStatus::kDone) return;
  size_ += std::min(n, buffer_.size() - size_);
}

ParseResult ClientHelloParser::feed(std::span<const uint8_t> bytes) {
  if (last_.status != ParseStatus::kNeedMore) return last_;
  std::size_t copied = 0;
  while (copied < bytes.size()) {
    const std::span<uint8_t> area = write_area();
    if (area.empty()) break;
    const std::size_t n = std::min(area.size(), bytes.size() - copied);
    std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(copied), n, area.begin());
    size_ += n;
    copied += n;
  }
  parse();
  // A hello that completed is still refused when bytes after it were dropped:
  // the caller would otherwise replay a truncated stream.
  if (copied < bytes.size() && last_.status == ParseStatus::kDone) last_ = kBeyondLimit;
  return last_;
}

// Runs the scanner only once enough bytes are buffered for it to progress.
ParseResult ClientHelloParser::parse() {
  if (size_ >= needed_) {
    const ScanStep step = scanner_.advance(buffered());
    needed_ = step.needed;
    last_ =
        step.status == ParseStatus::kDone ? finish(scanner_, buffered(), &hello_) : to_result(step);
  }
  if (last_.status == ParseStatus::kNeedMore && size_ >= max_bytes_) last_ = kLimitReached;
  return last_;
}

}  // namespace meshgate::sni

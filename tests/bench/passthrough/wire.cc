#include "tests/bench/passthrough/wire.h"

#include <sys/resource.h>

#include <algorithm>

#include "tests/support/openssl_hello.h"

namespace meshgate::bench {
namespace {

constexpr uint8_t kHandshakeContentType = 0x16;

std::size_t record_length(const uint8_t* header) {
  return (static_cast<std::size_t>(header[3]) << 8) | header[4];
}

}  // namespace

Bytes client_hello(const std::string& sni, const std::vector<std::string>& alpn) {
  Bytes hello = testing::openssl_client_hello({.tls13 = true, .server_name = sni, .alpn = alpn});
  // Replayed on every connection, so check once that it is the single record
  // the backend's parser expects.
  if (hello.size() < kRecordHeaderBytes || hello[0] != kHandshakeContentType) return {};
  const std::size_t length = record_length(hello.data());
  if (length > kMaxRecordLength || hello.size() != kRecordHeaderBytes + length) return {};
  return hello;
}

Bytes preamble(const Bytes& hello, Command command, uint64_t download_count) {
  Bytes out = hello;
  out.push_back(static_cast<uint8_t>(command));
  if (command == Command::kDownload) {
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.push_back(static_cast<uint8_t>(download_count >> shift));
    }
  }
  return out;
}

uint64_t raise_fd_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) return raised.rlim_cur;
  }
  return limit.rlim_cur;
}

PreambleParser::Result PreambleParser::feed(const uint8_t* data, std::size_t size) {
  std::size_t consumed = 0;
  while (consumed < size && phase_ != Phase::kDone && phase_ != Phase::kBad) {
    consumed += step(data + consumed, size - consumed);
  }
  const Status status = phase_ == Phase::kDone  ? Status::kDone
                        : phase_ == Phase::kBad ? Status::kBad
                                                : Status::kNeedMore;
  return {status, consumed};
}

std::size_t PreambleParser::step(const uint8_t* data, std::size_t size) {
  switch (phase_) {
    case Phase::kHeader:
      return take_header(data, size);
    case Phase::kBody: {
      const std::size_t skip = std::min(size, body_left_);
      body_left_ -= skip;
      if (body_left_ == 0) phase_ = Phase::kCommand;
      return skip;
    }
    case Phase::kCommand:
      take_command(data[0]);
      return 1;
    case Phase::kCount:
      return take_count(data, size);
    case Phase::kDone:
    case Phase::kBad:
      break;
  }
  return 0;
}

std::size_t PreambleParser::take_header(const uint8_t* data, std::size_t size) {
  const std::size_t take = std::min(size, kRecordHeaderBytes - have_);
  std::copy(data, data + take, header_ + have_);
  have_ += take;
  if (have_ < kRecordHeaderBytes) return take;
  body_left_ = record_length(header_);
  have_ = 0;
  if (body_left_ > kMaxRecordLength) {
    phase_ = Phase::kBad;
  } else {
    phase_ = body_left_ == 0 ? Phase::kCommand : Phase::kBody;
  }
  return take;
}

void PreambleParser::take_command(uint8_t byte) {
  switch (static_cast<Command>(byte)) {
    case Command::kEcho:
    case Command::kSink:
      command_ = static_cast<Command>(byte);
      phase_ = Phase::kDone;
      return;
    case Command::kDownload:
      command_ = Command::kDownload;
      phase_ = Phase::kCount;
      return;
  }
  phase_ = Phase::kBad;
}

std::size_t PreambleParser::take_count(const uint8_t* data, std::size_t size) {
  const std::size_t take = std::min(size, kCountBytes - have_);
  for (std::size_t i = 0; i < take; ++i)
    count_ = (count_ << 8) | data[i];
  have_ += take;
  if (have_ == kCountBytes) phase_ = Phase::kDone;
  return take;
}

}  // namespace meshgate::bench

// Fuzz target for the ClientHello parser (sni/). The same bytes go through
// the stateless parse_client_hello() and through ClientHelloParser the way
// the passthrough session uses it (write_area() + commit()): in one read, one
// byte per read, and in two reads cut where the input says. Invariants: no
// crash; every way gives the same status, detail and hello; feed() agrees
// (bytes past the limit turn kDone into kTooLarge); the parser never offers
// room past its limit and buffers exactly the bytes it was given; an SNI or
// ALPN returned is made of bytes from the handshake records and an SNI is at
// most 255 bytes. Each input runs under the default 64 KiB limit and under
// 512 bytes, the smallest limit the config allows, to reach kTooLarge.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sni/client_hello.h"

namespace {

using meshgate::sni::ClientHello;
using meshgate::sni::ClientHelloParser;
using meshgate::sni::ParseResult;
using meshgate::sni::ParseStatus;

constexpr std::size_t kSmallLimit = 512;
constexpr std::size_t kMaxServerNameBytes = 255;

void check(bool invariant) {
  if (!invariant) std::abort();
}

struct Outcome {
  ParseStatus status = ParseStatus::kNeedMore;
  std::string_view detail;
  ClientHello hello;  // default unless kDone

  bool operator==(const Outcome& other) const {
    return status == other.status && detail == other.detail &&
           hello.record_version == other.hello.record_version &&
           hello.legacy_version == other.hello.legacy_version &&
           hello.has_server_name == other.hello.has_server_name &&
           hello.server_name == other.hello.server_name && hello.alpn == other.hello.alpn &&
           hello.supported_versions == other.hello.supported_versions;
  }
};

Outcome outcome(const ParseResult& result, const ClientHello& hello) {
  check(result.detail != nullptr);
  Outcome out{result.status, result.detail, {}};
  if (result.status == ParseStatus::kDone) out.hello = hello;
  return out;
}

// Reads `input` into the parser in pieces: the first of `first` bytes, then
// pieces of at most `step` bytes, until a final status or the limit.
Outcome read_in_pieces(std::span<const uint8_t> input, std::size_t max_bytes, std::size_t first,
                       std::size_t step) {
  ClientHelloParser parser(max_bytes);
  ParseResult result;
  std::size_t offset = 0;
  while (result.status == ParseStatus::kNeedMore && offset < input.size()) {
    const std::span<uint8_t> area = parser.write_area();
    check(parser.buffered().size() + area.size() <= max_bytes);
    if (area.empty()) break;  // only at the limit, which must already be final
    const std::size_t piece = offset == 0 && first > 0 ? first : step;
    const std::size_t n = std::min({area.size(), piece, input.size() - offset});
    std::copy_n(input.begin() + static_cast<std::ptrdiff_t>(offset), n, area.begin());
    offset += n;
    result = parser.commit(n);
  }
  const std::span<const uint8_t> buffered = parser.buffered();
  check(buffered.size() == offset && buffered.size() <= max_bytes);
  check(std::equal(buffered.begin(), buffered.end(), input.begin()));
  return outcome(result, parser.hello());
}

// The payloads of the handshake records at the start of `input`, joined:
// every byte a parsed hello can have been built from.
std::string handshake_payloads(std::span<const uint8_t> input) {
  std::string joined;
  std::size_t pos = 0;
  while (pos + 5 <= input.size() && input[pos] == 22) {
    const std::size_t length = static_cast<std::size_t>(input[pos + 3]) << 8 | input[pos + 4];
    const std::size_t end = std::min(pos + 5 + length, input.size());
    joined.append(input.begin() + static_cast<std::ptrdiff_t>(pos + 5),
                  input.begin() + static_cast<std::ptrdiff_t>(end));
    pos = end;
  }
  return joined;
}

void check_hello(const Outcome& done, std::span<const uint8_t> input) {
  const ClientHello& hello = done.hello;
  check(input.size() >= 3);
  check(hello.record_version == (input[1] << 8 | input[2]));
  const std::string payloads = handshake_payloads(input);
  check(hello.has_server_name || hello.server_name.empty());
  if (hello.has_server_name) {
    check(!hello.server_name.empty() && hello.server_name.size() <= kMaxServerNameBytes);
    check(payloads.find(hello.server_name) != std::string::npos);
  }
  for (const std::string& protocol : hello.alpn) {
    check(!protocol.empty() && payloads.find(protocol) != std::string::npos);
  }
}

// Where to cut the input in two: from its last bytes, so the fuzzer steers it.
std::size_t cut_point(std::span<const uint8_t> input) {
  if (input.size() < 2) return 0;
  const std::size_t seed = input[input.size() - 1] << 8 | input[input.size() - 2];
  return seed % input.size();
}

void run_with_limit(std::span<const uint8_t> input, std::size_t max_bytes) {
  ClientHello stateless_hello;
  const Outcome stateless = outcome(
      meshgate::sni::parse_client_hello(input, max_bytes, &stateless_hello), stateless_hello);
  if (stateless.status == ParseStatus::kDone) check_hello(stateless, input);

  check(read_in_pieces(input, max_bytes, 0, input.size()) == stateless);
  check(read_in_pieces(input, max_bytes, 0, 1) == stateless);
  check(read_in_pieces(input, max_bytes, cut_point(input), input.size()) == stateless);

  ClientHelloParser fed(max_bytes);
  const ParseResult result = fed.feed(input);
  if (input.size() > max_bytes && stateless.status == ParseStatus::kDone) {
    check(result.status == ParseStatus::kTooLarge);  // the bytes past the limit were dropped
  } else {
    check(outcome(result, fed.hello()) == stateless);
  }
  check(fed.buffered().size() == std::min(input.size(), max_bytes));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::span<const uint8_t> input(data, size);
  run_with_limit(input, meshgate::sni::kDefaultMaxClientHelloBytes);
  run_with_limit(input, kSmallLimit);
  return 0;
}

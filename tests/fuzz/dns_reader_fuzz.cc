// Fuzz target for the DNS reader, in libFuzzer's shape. Whatever the bytes,
// reading must not crash; a message that reads must write and read back to
// the same message (or, when the rewrite is cut down to fit, to a truncated
// reply: TC set, no records). A broken invariant aborts, so the fuzzer
// reports it like a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "dns-global/reader.h"
#include "dns-global/writer.h"

namespace {

using meshgate::dns::kMaxMessageBytes;
using meshgate::dns::Message;

void check(bool invariant) {
  if (!invariant) std::abort();
}

void check_truncated(const Message& original, const Message& reread) {
  check(reread.header.tc);
  check(reread.answers.empty() && reread.authority.empty() && reread.additional.empty());
  check(reread.edns.has_value() == original.edns.has_value());
  check(reread.questions.empty() || reread.questions == original.questions);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto first = meshgate::dns::read_message(std::span<const uint8_t>(data, size));
  if (!first.ok()) return 0;
  const auto written = meshgate::dns::write_message(first.message, kMaxMessageBytes);
  check(written.bytes.size() <= kMaxMessageBytes);
  const auto second = meshgate::dns::read_message(written.bytes);
  check(second.ok());
  if (written.truncated) {
    check_truncated(first.message, second.message);
  } else {
    check(second.message == first.message);
  }
  return 0;
}

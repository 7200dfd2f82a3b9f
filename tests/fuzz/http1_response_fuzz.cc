// Fuzz target: the incremental HTTP/1.1 response parser. The input is fed
// whole, then cut in two at every position (or at positions derived from
// the input when it is long), then one byte at a time, each time with the
// default header limit and with a small one. Invariants: no crash; the body
// is never longer than the input; an error always says why; where the input
// is cut makes no difference to the result, the status, the body, the bytes
// used, keep_alive() or a header's value; after kDone nothing more is used.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/http/http1_response.h"

namespace {

using meshgate::net::http::Http1Limits;
using meshgate::net::http::Http1Response;
using Result = Http1Response::Result;

constexpr size_t kEveryCutUpTo = 256;  // longer inputs get derived cut points
constexpr size_t kSmallHeaderLimit = 160;

struct Outcome {
  Result result = Result::kNeedMore;
  int status = 0;
  std::string body;
  size_t used = 0;
  bool keep_alive = false;
  bool headers_done = false;
  std::optional<std::string> content_type;

  bool operator==(const Outcome&) const = default;
};

void check(bool ok) {
  if (!ok) std::abort();
}

// Feeds `input` in pieces ending at `cuts` (ascending) and then at its end;
// finish() when the input ran out before the response did.
Outcome run(std::string_view input, const std::vector<size_t>& cuts, Http1Limits limits) {
  Http1Response response(limits);
  Outcome out;
  const auto on_body = [&out](std::string_view data) { out.body.append(data); };
  size_t start = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(input.size());
  for (size_t end : ends) {
    if (end < start || out.result != Result::kNeedMore) continue;
    size_t consumed = 0;
    out.result = response.feed(input.substr(start, end - start), on_body, &consumed);
    check(consumed <= end - start);
    check(out.result != Result::kNeedMore || consumed == end - start);
    out.used += consumed;
    start = end;
  }
  if (out.result == Result::kNeedMore) out.result = response.finish();
  if (out.result == Result::kDone) {
    size_t consumed = 1;
    check(response.feed("more", on_body, &consumed) == Result::kDone && consumed == 0);
  }
  check(out.result != Result::kError || !response.error().empty());
  check(out.body.size() <= input.size() && out.used <= input.size());
  out.status = response.status();
  out.keep_alive = response.keep_alive();
  out.headers_done = response.headers_done();
  out.content_type = response.header("Content-Type");
  return out;
}

// A few cut points spread over the input, chosen by its bytes.
std::vector<size_t> derived_cuts(std::string_view input, size_t count) {
  std::vector<size_t> cuts;
  uint64_t h = 1469598103934665603ULL;
  size_t at = 0;
  for (size_t i = 0; i < count && !input.empty(); ++i) {
    h = (h ^ static_cast<unsigned char>(input[(i * 7919) % input.size()])) * 1099511628211ULL;
    at += static_cast<size_t>(h % (input.size() / count + 2));
    if (at > input.size()) break;
    cuts.push_back(at);
  }
  return cuts;
}

void check_cuts_agree(std::string_view input, Http1Limits limits) {
  const Outcome whole = run(input, {}, limits);
  if (input.size() <= kEveryCutUpTo) {
    for (size_t cut = 0; cut <= input.size(); ++cut) {
      check(run(input, {cut}, limits) == whole);
    }
  } else {
    check(run(input, derived_cuts(input, 16), limits) == whole);
  }
  check(run(input, derived_cuts(input, 4), limits) == whole);
  std::vector<size_t> every_byte;
  for (size_t i = 1; i < input.size(); ++i)
    every_byte.push_back(i);
  check(run(input, every_byte, limits) == whole);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_cuts_agree(input, Http1Limits{});
  check_cuts_agree(input, Http1Limits{kSmallHeaderLimit});
  return 0;
}

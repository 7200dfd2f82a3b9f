#include "net/http/http1_response.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace meshgate::net::http {
namespace {

using Result = Http1Response::Result;

constexpr std::string_view kChunkedHead =
    "HTTP/1.1 200 OK\r\n"
    "Audit-Id: 5f3c1e8a-2b7d-4a0e-9c61-0d2f7e4b9a13\r\n"
    "Cache-Control: no-cache, private\r\n"
    "Content-Type: application/json\r\n"
    "Transfer-Encoding: chunked\r\n"
    "\r\n";

struct Outcome {
  Result result = Result::kNeedMore;
  int status = 0;
  std::string body;
  size_t used = 0;
  std::string error;
};

// Feeds `input` in pieces ending at `cuts` and at its end, stopping at the
// first result other than kNeedMore; finish() if requested and still needed.
Outcome feed_pieces(std::string_view input, const std::vector<size_t>& cuts, bool finish = false,
                    Http1Limits limits = {}) {
  Http1Response response(limits);
  Outcome out;
  size_t start = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(input.size());
  for (size_t end : ends) {
    if (out.result != Result::kNeedMore) break;
    size_t consumed = 0;
    out.result = response.feed(
        input.substr(start, end - start), [&out](std::string_view d) { out.body.append(d); },
        &consumed);
    out.used += consumed;
    start = end;
  }
  if (finish && out.result == Result::kNeedMore) out.result = response.finish();
  out.status = response.status();
  out.error = response.error();
  return out;
}

Outcome feed_whole(std::string_view input, bool finish = false) {
  return feed_pieces(input, {}, finish);
}

Outcome feed_bytewise(std::string_view input, bool finish = false) {
  std::vector<size_t> cuts;
  for (size_t i = 1; i < input.size(); ++i)
    cuts.push_back(i);
  return feed_pieces(input, cuts, finish);
}

std::string chunked(std::string_view head, const std::vector<std::string>& chunks) {
  std::string out(head);
  char size[32];
  for (const std::string& c : chunks) {
    std::snprintf(size, sizeof size, "%zx\r\n", c.size());
    out += size + c + "\r\n";
  }
  return out + "0\r\n\r\n";
}

// Parses `input` whole and expects it to stop with kError.
std::string error_of(std::string_view input, Http1Limits limits = {}) {
  const Outcome out = feed_pieces(input, {}, false, limits);
  EXPECT_EQ(out.result, Result::kError) << input;
  return out.error;
}

TEST(Http1Response, ContentLengthBody) {
  const std::string input =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n"
      "{\"items\":[]}\n";
  const Outcome out = feed_whole(input);
  EXPECT_EQ(out.result, Result::kDone);
  EXPECT_EQ(out.status, 200);
  EXPECT_EQ(out.body, "{\"items\":[]}\n");
  EXPECT_EQ(out.used, input.size());
}

TEST(Http1Response, ContentLengthBodyByteByByte) {
  const std::string input = "HTTP/1.1 403 Forbidden\r\nContent-Length: 5\r\n\r\nnope!";
  const Outcome out = feed_bytewise(input);
  EXPECT_EQ(out.result, Result::kDone);
  EXPECT_EQ(out.status, 403);
  EXPECT_EQ(out.body, "nope!");
}

TEST(Http1Response, ChunkedSameAtEverySplitPoint) {
  const std::string input = chunked(kChunkedHead, {"{\"a\":1}", "\n{\"b\"", ":2}\n"});
  const Outcome whole = feed_whole(input);
  ASSERT_EQ(whole.result, Result::kDone) << whole.error;
  EXPECT_EQ(whole.body, "{\"a\":1}\n{\"b\":2}\n");
  EXPECT_EQ(whole.used, input.size());
  for (size_t cut = 0; cut <= input.size(); ++cut) {
    const Outcome split = feed_pieces(input, {cut});
    EXPECT_EQ(split.result, Result::kDone) << "cut at " << cut;
    EXPECT_EQ(split.status, 200) << "cut at " << cut;
    EXPECT_EQ(split.body, whole.body) << "cut at " << cut;
    EXPECT_EQ(split.used, input.size()) << "cut at " << cut;
  }
  const Outcome bytewise = feed_bytewise(input);
  EXPECT_EQ(bytewise.result, Result::kDone);
  EXPECT_EQ(bytewise.body, whole.body);
}

TEST(Http1Response, ChunkExtensionsAreSkipped) {
  const std::string input = std::string(kChunkedHead) +
                            "5;name=value;q=\"a b\"\r\nhello\r\n6 ; x\r\n world\r\n0;last\r\n\r\n";
  const Outcome out = feed_bytewise(input);
  EXPECT_EQ(out.result, Result::kDone) << out.error;
  EXPECT_EQ(out.body, "hello world");
}

TEST(Http1Response, TrailersAreReadAndIgnored) {
  const std::string input =
      std::string(kChunkedHead) + "2\r\n{}\r\n0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n";
  const Outcome out = feed_bytewise(input);
  EXPECT_EQ(out.result, Result::kDone) << out.error;
  EXPECT_EQ(out.body, "{}");
  EXPECT_EQ(out.used, input.size());
}

TEST(Http1Response, MalformedTrailerIsAnError) {
  const std::string input = std::string(kChunkedHead) + "2\r\n{}\r\n0\r\nX-Bad : 1\r\n\r\n";
  EXPECT_NE(error_of(input), "");
}

TEST(Http1Response, InterimContinueIsSkipped) {
  const std::string input =
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\nX: y\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
  Http1Response response;
  std::string body;
  EXPECT_EQ(response.feed(input, [&body](std::string_view d) { body.append(d); }), Result::kDone);
  EXPECT_EQ(response.status(), 200);
  EXPECT_EQ(body, "{}");
  EXPECT_FALSE(response.header("X").has_value());  // the interim's fields are gone
  EXPECT_EQ(feed_bytewise(input).body, "{}");
}

TEST(Http1Response, SwitchingProtocolsIsAnError) {
  EXPECT_NE(error_of("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n"), "");
}

TEST(Http1Response, NoContentHasNoBodyWhateverTheFieldsSay) {
  const std::string first = "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n";
  const Outcome out = feed_whole(first + "HTTP/1.1 200 OK\r\n");
  EXPECT_EQ(out.result, Result::kDone);
  EXPECT_EQ(out.status, 204);
  EXPECT_EQ(out.body, "");
  EXPECT_EQ(out.used, first.size());
  EXPECT_EQ(feed_whole("HTTP/1.1 304 Not Modified\r\n\r\n").result, Result::kDone);
}

TEST(Http1Response, CloseDelimitedBodyEndsWithFinish) {
  Http1Response response;
  std::string body;
  const auto on_body = [&body](std::string_view d) { body.append(d); };
  EXPECT_EQ(response.feed("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nab", on_body),
            Result::kNeedMore);
  EXPECT_EQ(response.feed("cd", on_body), Result::kNeedMore);
  EXPECT_TRUE(response.headers_done());
  EXPECT_FALSE(response.keep_alive());
  EXPECT_EQ(response.finish(), Result::kDone);
  EXPECT_EQ(body, "abcd");
}

TEST(Http1Response, UnknownTransferCodingRunsToClose) {
  const Outcome out = feed_whole("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxyz", true);
  EXPECT_EQ(out.result, Result::kDone);
  EXPECT_EQ(out.body, "xyz");
}

TEST(Http1Response, FinishMidChunkIsAnError) {
  const Outcome out = feed_whole(std::string(kChunkedHead) + "a\r\nhello", true);
  EXPECT_EQ(out.result, Result::kError);
  EXPECT_EQ(out.body, "hello");
  EXPECT_NE(out.error.find("connection closed"), std::string::npos) << out.error;
}

TEST(Http1Response, FinishMidHeadersIsAnError) {
  const Outcome out = feed_whole("HTTP/1.1 200 OK\r\nContent-Ty", true);
  EXPECT_EQ(out.result, Result::kError);
  EXPECT_NE(out.error.find("headers"), std::string::npos) << out.error;
  EXPECT_EQ(feed_whole("", true).result, Result::kError);
  EXPECT_EQ(feed_whole("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab", true).result,
            Result::kError);
}

TEST(Http1Response, BadStatusLines) {
  EXPECT_NE(error_of("HTTP/2.0 200 OK\r\n\r\n"), "");
  EXPECT_NE(error_of("HTTP/1.1 20 OK\r\n\r\n"), "");
  EXPECT_NE(error_of("HTTP/1.1 2000 OK\r\n\r\n"), "");
  EXPECT_NE(error_of("HTTP/1.1 abc OK\r\n\r\n"), "");
  EXPECT_NE(error_of("HTTP/1.1 999 OK\r\n\r\n"), "");
  EXPECT_NE(error_of("ICY 200 OK\r\n\r\n"), "");
  EXPECT_NE(error_of("HTTP/1.1 200 O\x01K\r\n\r\n"), "");
  EXPECT_NE(error_of("HTTP/1.1 200 OK\n\n"), "");  // bare LF
  // No reason phrase, and HTTP/1.0, are fine.
  EXPECT_EQ(feed_whole("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n").result, Result::kDone);
  EXPECT_EQ(feed_whole("HTTP/1.0 200 \r\nContent-Length: 0\r\n\r\n").result, Result::kDone);
}

TEST(Http1Response, BadHeaderLines) {
  const std::string ok = "HTTP/1.1 200 OK\r\n";
  EXPECT_NE(error_of(ok + "Content-Length : 2\r\n\r\n{}").find("whitespace before the colon"),
            std::string::npos);
  EXPECT_NE(error_of(ok + "X-A: 1\r\n folded\r\n\r\n").find("obs-fold"), std::string::npos);
  EXPECT_NE(error_of(ok + "\tfolded\r\n\r\n").find("obs-fold"), std::string::npos);
  EXPECT_NE(error_of(ok + "no colon here\r\n\r\n"), "");
  EXPECT_NE(error_of(ok + ": empty name\r\n\r\n"), "");
  EXPECT_NE(error_of(ok + "X-A: a\rb\r\n\r\n"), "");  // a CR inside a value
  EXPECT_NE(error_of(ok + "X-A: 1\n\r\n"), "");       // bare LF
}

TEST(Http1Response, HeaderBlockOverLimitFedByteByByte) {
  const Http1Limits limits{64};
  Http1Response response(limits);
  const std::string input = "HTTP/1.1 200 OK\r\nX-Big: " + std::string(1000, 'a') + "\r\n\r\n";
  size_t fed = 0;
  Result result = Result::kNeedMore;
  while (result == Result::kNeedMore && fed < input.size()) {
    result = response.feed(input.substr(fed++, 1), nullptr);
  }
  EXPECT_EQ(result, Result::kError);
  EXPECT_EQ(fed, 65u);  // the first byte past the limit, not the end of the line
  EXPECT_EQ(response.error(), "header block larger than 64 bytes");
  // Exactly at the limit is fine.
  const std::string fits =
      "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX: " + std::string(64 - 43, 'b') + "\r\n\r\n";
  ASSERT_EQ(fits.size(), 64u);
  EXPECT_EQ(feed_pieces(fits, {}, false, limits).result, Result::kDone);
  EXPECT_EQ(feed_pieces(fits + "x", {}, false, Http1Limits{63}).result, Result::kError);
}

TEST(Http1Response, InterimResponsesCountAgainstTheHeaderLimit) {
  std::string input;
  for (int i = 0; i < 10; ++i)
    input += "HTTP/1.1 100 Continue\r\n\r\n";
  EXPECT_NE(error_of(input, Http1Limits{200}).find("header block larger"), std::string::npos);
}

TEST(Http1Response, BadChunkSizes) {
  const std::string head(kChunkedHead);
  EXPECT_EQ(error_of(head + "zz\r\nhello\r\n0\r\n\r\n"), "invalid chunk size");
  EXPECT_EQ(error_of(head + "\r\n"), "invalid chunk size");
  EXPECT_EQ(error_of(head + "-1\r\n"), "invalid chunk size");
  EXPECT_NE(error_of(head + "1ffffffffffffffff\r\nabc").find("16 hex digits"), std::string::npos);
  EXPECT_NE(error_of(head + "5x\r\nhello\r\n"), "");
  EXPECT_NE(error_of(head + "5;a\x01\r\nhello\r\n"), "");
  EXPECT_NE(error_of(head + "5\n"), "");  // bare LF
  EXPECT_NE(error_of(head + "5;" + std::string(5000, 'e') + "\r\n").find("chunk-size line"),
            std::string::npos);
}

TEST(Http1Response, LargestChunkSizeIsAcceptedAndStreamed) {
  const Outcome out = feed_whole(std::string(kChunkedHead) + "ffffffffffffffff\r\nabc");
  EXPECT_EQ(out.result, Result::kNeedMore);
  EXPECT_EQ(out.body, "abc");
}

TEST(Http1Response, MissingCrlfAfterChunkData) {
  const std::string head(kChunkedHead);
  EXPECT_EQ(error_of(head + "3\r\nabcX\r\n0\r\n\r\n"), "missing CRLF after chunk data");
  EXPECT_EQ(error_of(head + "3\r\nabc\rX0\r\n\r\n"), "missing CRLF after chunk data");
  EXPECT_EQ(error_of(head + "3\r\nabc\n0\r\n\r\n"), "missing CRLF after chunk data");
}

TEST(Http1Response, ContentLengthRules) {
  const std::string ok = "HTTP/1.1 200 OK\r\n";
  EXPECT_EQ(error_of(ok + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"),
            "conflicting Content-Length values");
  EXPECT_EQ(error_of(ok + "Content-Length: 5, 6\r\n\r\nhello!"),
            "conflicting Content-Length values");
  EXPECT_EQ(error_of(ok + "Content-Length: +5\r\n\r\nhello"), "invalid Content-Length");
  EXPECT_EQ(error_of(ok + "Content-Length: \r\n\r\n"), "invalid Content-Length");
  EXPECT_EQ(error_of(ok + "Content-Length: 99999999999999999999999\r\n\r\n"),
            "Content-Length too large");
  EXPECT_EQ(error_of(ok + "Content-Length: 4611686018427387905\r\n\r\n"),  // 2^62 + 1
            "Content-Length too large");
  const Outcome same = feed_whole(ok + "Content-Length: 5\r\ncontent-length: 5, 005\r\n\r\nhello");
  EXPECT_EQ(same.result, Result::kDone);
  EXPECT_EQ(same.body, "hello");
}

TEST(Http1Response, TransferEncodingWinsOverContentLength) {
  Http1Response response;
  std::string body;
  const std::string input =
      "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n0\r\n\r\n";
  EXPECT_EQ(response.feed(input, [&body](std::string_view d) { body.append(d); }), Result::kDone);
  EXPECT_EQ(body, "abc");
  EXPECT_FALSE(response.keep_alive());  // suspicious framing: do not reuse the connection
}

TEST(Http1Response, TransferEncodingInHttp10IsAnError) {
  EXPECT_NE(error_of("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), "");
}

TEST(Http1Response, HugeChunkIsDeliveredAsItArrives) {
  Http1Response response;
  std::vector<size_t> deliveries;
  const auto on_body = [&deliveries](std::string_view d) { deliveries.push_back(d.size()); };
  // A 16 MiB chunk announced, a few KiB at a time given.
  EXPECT_EQ(
      response.feed(std::string(kChunkedHead) + "1000000\r\n" + std::string(1000, 'x'), on_body),
      Result::kNeedMore);
  EXPECT_EQ(response.feed(std::string(4096, 'y'), on_body), Result::kNeedMore);
  EXPECT_EQ(deliveries, (std::vector<size_t>{1000, 4096}));
}

TEST(Http1Response, DoneMidBufferSetsConsumedExactly) {
  const std::string first = chunked(kChunkedHead, {"abc"});
  const std::string second = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
  Http1Response response;
  size_t consumed = 0;
  EXPECT_EQ(response.feed(first + second, nullptr, &consumed), Result::kDone);
  EXPECT_EQ(consumed, first.size());
  EXPECT_EQ(response.feed("more", nullptr, &consumed), Result::kDone);
  EXPECT_EQ(consumed, 0u);
  // The rest parses as the next response.
  Http1Response next;
  EXPECT_EQ(next.feed(std::string_view(first + second).substr(first.size()), nullptr, &consumed),
            Result::kDone);
  EXPECT_EQ(consumed, second.size());
  const std::string fixed = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc";
  EXPECT_EQ(feed_whole(fixed + "HTTP/1.1").used, fixed.size());
}

TEST(Http1Response, AfterErrorNothingIsConsumed) {
  Http1Response response;
  size_t consumed = 99;
  EXPECT_EQ(response.feed("HTTP/9 200\r\n", nullptr, &consumed), Result::kError);
  EXPECT_EQ(response.feed("HTTP/1.1 200 OK\r\n", nullptr, &consumed), Result::kError);
  EXPECT_EQ(consumed, 0u);
  EXPECT_EQ(response.finish(), Result::kError);
  EXPECT_FALSE(response.error().empty());
}

bool keep_alive_of(std::string_view input) {
  Http1Response response;
  response.feed(input, nullptr);
  return response.keep_alive();
}

TEST(Http1Response, KeepAlive) {
  EXPECT_TRUE(keep_alive_of("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_TRUE(keep_alive_of(std::string(kChunkedHead)));
  EXPECT_FALSE(keep_alive_of("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_FALSE(
      keep_alive_of("HTTP/1.1 200 OK\r\nConnection: Upgrade, CLOSE\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_TRUE(keep_alive_of("HTTP/1.1 200 OK\r\nConnection: closed\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_FALSE(keep_alive_of("HTTP/1.1 200 OK\r\n\r\n"));  // close-delimited
  EXPECT_FALSE(keep_alive_of("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_TRUE(
      keep_alive_of("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_FALSE(keep_alive_of("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"));  // not done yet
}

TEST(Http1Response, HeaderLookupIsCaseInsensitiveFirstAndTrimmed) {
  Http1Response response;
  EXPECT_FALSE(response.headers_done());
  EXPECT_EQ(response.status(), 0);
  response.feed(
      "HTTP/1.1 200 OK\r\nContent-Type: \t application/json \t\r\ncontent-type: text/plain\r\n"
      "X-Empty:\r\nContent-Length: 0\r\n\r\n",
      nullptr);
  EXPECT_TRUE(response.headers_done());
  EXPECT_EQ(response.header("CONTENT-TYPE"), "application/json");
  EXPECT_EQ(response.header("content-type"), "application/json");
  EXPECT_EQ(response.header("x-empty"), "");
  EXPECT_FALSE(response.header("X-Missing").has_value());
}

TEST(Http1Response, WatchStreamWithChunksAcrossLines) {
  const std::vector<std::string> lines = {
      "{\"type\":\"ADDED\",\"object\":{\"kind\":\"Service\",\"metadata\":{\"name\":\"a\","
      "\"resourceVersion\":\"10\"}}}\n",
      "{\"type\":\"MODIFIED\",\"object\":{\"kind\":\"Service\",\"metadata\":{\"name\":\"a\","
      "\"resourceVersion\":\"11\"}}}\n",
      "{\"type\":\"DELETED\",\"object\":{\"kind\":\"Service\",\"metadata\":{\"name\":\"a\","
      "\"resourceVersion\":\"12\"}}}\n"};
  const std::string all = lines[0] + lines[1] + lines[2];
  // Chunks of 37 bytes: their edges fall inside the lines.
  std::vector<std::string> chunks;
  for (size_t i = 0; i < all.size(); i += 37)
    chunks.push_back(all.substr(i, 37));
  std::string input = chunked(kChunkedHead, chunks);
  input.resize(input.size() - 5);  // a watch never ends: no last chunk
  const Outcome whole = feed_whole(input);
  EXPECT_EQ(whole.result, Result::kNeedMore);
  EXPECT_EQ(whole.body, all);
  const Outcome bytewise = feed_bytewise(input);
  EXPECT_EQ(bytewise.body, all);
  EXPECT_EQ(feed_whole(input, true).result, Result::kError);  // the server hung up mid-stream
}

TEST(Http1GetRequest, ExactOutput) {
  EXPECT_EQ(http1_get_request("10.96.0.1:443", "/api/v1/services?watch=1&resourceVersion=10",
                              {{"Authorization", "Bearer abc"}, {"Accept", "application/json"}}),
            "GET /api/v1/services?watch=1&resourceVersion=10 HTTP/1.1\r\n"
            "Host: 10.96.0.1:443\r\n"
            "User-Agent: meshgate\r\n"
            "Authorization: Bearer abc\r\n"
            "Accept: application/json\r\n"
            "\r\n");
  EXPECT_EQ(http1_get_request("h", "/", {}),
            "GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: meshgate\r\n\r\n");
}

TEST(Http1GetRequest, CrAndLfAreStripped) {
  const std::string request = http1_get_request(
      "h\r\n", "/x", {{"Authorization", "Bearer a\r\nX-Injected: 1\r\n\r\nGET /"}});
  EXPECT_EQ(request,
            "GET /x HTTP/1.1\r\nHost: h\r\nUser-Agent: meshgate\r\n"
            "Authorization: Bearer aX-Injected: 1GET /\r\n\r\n");
}

}  // namespace
}  // namespace meshgate::net::http

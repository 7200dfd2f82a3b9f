// RelayFlow alone, over socketpairs: the test writes into one pair, the flow
// relays from the other end of it into a second pair, and the test reads
// what arrives. One io_context, polled between steps: no threads, no sleeps.
#include "gateway/relay_flow.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gateway/admission.h"
#include "gateway/pipe_pool.h"

namespace meshgate::gateway {
namespace {

constexpr std::size_t kBufferBytes = 16 * 1024;

// One end of a socketpair the test drives, non-blocking.
struct End {
  int fd = -1;
  ~End() {
    if (fd >= 0) ::close(fd);
  }
  std::size_t write_some(const std::vector<uint8_t>& data, std::size_t from) const {
    const ssize_t n = ::send(fd, data.data() + from, data.size() - from, MSG_NOSIGNAL);
    return n > 0 ? static_cast<std::size_t>(n) : 0;
  }
  void read_some(std::vector<uint8_t>& into) const {
    uint8_t chunk[8192];
    ssize_t n = 0;
    while ((n = ::recv(fd, chunk, sizeof chunk, 0)) > 0)
      into.insert(into.end(), chunk, chunk + n);
  }
};

// The session, as a flow sees it: it records every report.
class Recorder : public RelayFlow::Owner, public std::enable_shared_from_this<Recorder> {
 public:
  explicit Recorder(asio::io_context& io, Admission* budget = nullptr)
      : source_(io), sink_(io), pipes_(kBufferBytes, 4, budget) {
    source_.assign(asio::ip::tcp::v4(), pair(writer_));
    sink_.assign(asio::ip::tcp::v4(), pair(reader_));
    source_.native_non_blocking(true);
    sink_.native_non_blocking(true);
  }

  RelayFlow& flow() { return flow_; }
  const End& writer() const { return writer_; }
  End& reader() { return reader_; }
  asio::ip::tcp::socket& sink() { return sink_; }

  std::size_t moved = 0;
  int activity = 0;
  int done = 0;
  int fallbacks = 0;
  int to_splice = 0;  // kAuto's switches
  int to_copy = 0;
  const asio::ip::tcp::socket* failed = nullptr;

 private:
  // A socketpair: one end for the test, the other (returned) for the flow.
  static int pair(End& test_end) {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    test_end.fd = fds[0];
    return fds[1];
  }

  void on_moved(RelayFlow&, std::size_t bytes) override { moved += bytes; }
  void on_activity() override { ++activity; }
  void on_source_done(RelayFlow&) override { ++done; }
  void on_failed(RelayFlow&, asio::ip::tcp::socket& socket) override {
    failed = &socket;
    stopped_ = true;
    flow_.release();
  }
  void on_splice_fallback() override { ++fallbacks; }
  void on_mode_switch(bool splicing) override { ++(splicing ? to_splice : to_copy); }
  bool stopped() const override { return stopped_; }
  std::shared_ptr<void> keep_alive() override { return shared_from_this(); }

  End writer_;  // the test writes here; the flow reads the other end
  End reader_;  // the flow writes the other end; the test reads here
  asio::ip::tcp::socket source_;
  asio::ip::tcp::socket sink_;
  PipePool pipes_;
  std::vector<uint8_t> scratch_;
  bool stopped_ = false;
  RelayFlow flow_{*this, source_, sink_, {scratch_, pipes_}};
};

// Writes `data` from byte `written` on through the flow, polling it, until
// all of it has arrived or nothing moves for many rounds. What arrived.
std::vector<uint8_t> pass(asio::io_context& io, Recorder& r, const std::vector<uint8_t>& data,
                          std::size_t written = 0) {
  std::vector<uint8_t> got;
  for (int idle = 0; got.size() < data.size() && idle < 1000;) {
    const std::size_t before = got.size() + written;
    written += r.writer().write_some(data, written);
    io.poll();
    io.restart();
    r.reader().read_some(got);
    idle = got.size() + written == before ? idle + 1 : 0;
  }
  return got;
}

std::vector<uint8_t> pattern(std::size_t size) {
  std::vector<uint8_t> bytes(size);
  for (std::size_t i = 0; i < size; ++i)
    bytes[i] = static_cast<uint8_t>((i * 7 + i / 251) & 0xff);
  return bytes;
}

// splice(2) into a socket whose peer is gone raises SIGPIPE; the gateway's
// workers ignore it (gateway/worker.cc), and so does this test.
void ignore_sigpipe() {
  std::signal(SIGPIPE, SIG_IGN);
}

class RelayFlowTest : public ::testing::TestWithParam<RelayMode> {
 protected:
  static void SetUpTestSuite() { ignore_sigpipe(); }
  RelayMode splice() const { return GetParam(); }

  asio::io_context io_;
};

TEST_P(RelayFlowTest, RelaysEveryByteInOrderAndReportsEachOne) {
  auto r = std::make_shared<Recorder>(io_);
  r->flow().start(splice(), kBufferBytes);
  const auto data = pattern(1 << 20);
  EXPECT_EQ(pass(io_, *r, data), data);
  EXPECT_EQ(r->moved, data.size());
  EXPECT_GT(r->activity, 0);
  EXPECT_EQ(r->done, 0);
  EXPECT_EQ(r->failed, nullptr);
  // A megabyte written as fast as the socket takes it fills every read:
  // kAuto splices it.
  EXPECT_EQ(r->flow().splicing(), splice() != RelayMode::kCopy);
  EXPECT_EQ(r->to_splice, splice() == RelayMode::kAuto ? 1 : 0);
}

TEST_P(RelayFlowTest, BytesWaitingBeforeStartAreRelayedAtStart) {
  auto r = std::make_shared<Recorder>(io_);
  const auto data = pattern(1000);
  ASSERT_EQ(r->writer().write_some(data, 0), data.size());
  r->flow().start(splice(), kBufferBytes);  // no wait: it reads at once
  std::vector<uint8_t> got;
  r->reader().read_some(got);
  EXPECT_EQ(got, data);
}

TEST_P(RelayFlowTest, TheSourcesFinIsReportedOnceEverythingHasArrived) {
  auto r = std::make_shared<Recorder>(io_);
  r->flow().start(splice(), kBufferBytes);
  const auto data = pattern(300'000);
  EXPECT_EQ(pass(io_, *r, data), data);
  ASSERT_EQ(::shutdown(r->writer().fd, SHUT_WR), 0);
  io_.poll();
  EXPECT_EQ(r->done, 1);
  EXPECT_EQ(r->moved, data.size());
}

// A sink that takes nothing stops the flow reading: what it holds stays
// within one buffer, the rest stays in the source's socket, and all of it
// arrives, in order, once the sink reads again.
TEST_P(RelayFlowTest, AFullSinkStopsTheReadingUntilItDrains) {
  auto r = std::make_shared<Recorder>(io_);
  r->flow().start(splice(), kBufferBytes);
  const auto data = pattern(8 << 20);
  std::size_t written = 0;
  for (int round = 0; round < 200; ++round) {
    written += r->writer().write_some(data, written);
    io_.poll();
    io_.restart();
  }
  ASSERT_LT(written, data.size()) << "the socket buffers took 8 MiB: nothing was held back";
  const std::size_t stalled = r->moved;
  for (int round = 0; round < 50; ++round) {
    io_.poll();
    io_.restart();
  }
  EXPECT_EQ(r->moved, stalled) << "bytes moved into a sink that took nothing";
  EXPECT_EQ(pass(io_, *r, data, written), data);
  EXPECT_EQ(r->failed, nullptr);
}

TEST_P(RelayFlowTest, ASinkThatIsGoneIsReportedAsTheSinksFailure) {
  auto r = std::make_shared<Recorder>(io_);
  r->flow().start(splice(), kBufferBytes);
  ::close(r->reader().fd);  // the peer of the sink
  r->reader().fd = -1;
  const auto data = pattern(64 * 1024);
  std::size_t written = 0;
  for (int round = 0; round < 100 && r->failed == nullptr; ++round) {
    written += r->writer().write_some(data, written);
    io_.poll();
    io_.restart();
  }
  EXPECT_EQ(r->failed, &r->sink());
}

std::string mode_name(const ::testing::TestParamInfo<RelayMode>& param) {
  switch (param.param) {
    case RelayMode::kCopy:
      return "Copy";
    case RelayMode::kSplice:
      return "Splice";
    case RelayMode::kAuto:
      return "Auto";
  }
  return "Unknown";
}

INSTANTIATE_TEST_SUITE_P(Modes, RelayFlowTest,
                         ::testing::Values(RelayMode::kCopy, RelayMode::kSplice, RelayMode::kAuto),
                         mode_name);

// One small message through the flow: written, relayed, read.
std::vector<uint8_t> exchange(asio::io_context& io, Recorder& r, std::size_t size) {
  return pass(io, r, pattern(size));
}

// kAuto: small messages are copied (no pipe), a bulk transfer is spliced,
// and small messages after it are copied again; nothing is lost on the way.
TEST(RelayFlowAuto, SplicesOnlyWhileReadsFillTheBuffer) {
  ignore_sigpipe();
  asio::io_context io;
  auto r = std::make_shared<Recorder>(io);
  r->flow().start(RelayMode::kAuto, kBufferBytes);
  for (int i = 0; i < 10; ++i)
    ASSERT_EQ(exchange(io, *r, 300), pattern(300));
  EXPECT_FALSE(r->flow().splicing());
  EXPECT_EQ(r->to_splice, 0);

  const auto bulk = pattern(1 << 20);
  EXPECT_EQ(pass(io, *r, bulk), bulk);
  EXPECT_TRUE(r->flow().splicing());
  EXPECT_EQ(r->to_splice, 1);

  // The bulk's last splices may have been small already: at most
  // kSmallSplicesToCopy small messages turn the flow back to copying.
  int small = 0;
  while (r->flow().splicing() && small < 10) {
    ASSERT_EQ(exchange(io, *r, 300), pattern(300));
    ++small;
    io.poll();
    io.restart();
  }
  EXPECT_FALSE(r->flow().splicing());
  EXPECT_LE(small, RelayFlow::kSmallSplicesToCopy);
  EXPECT_EQ(r->to_copy, 1);
  ASSERT_EQ(exchange(io, *r, 300), pattern(300));
  EXPECT_EQ(r->to_splice, 1) << "small messages never splice";
  EXPECT_EQ(r->moved, 10 * 300 + bulk.size() + (small + 1) * 300);
}

// One read that fills the buffer is not yet a bulk transfer.
TEST(RelayFlowAuto, OneFullReadAloneDoesNotSplice) {
  asio::io_context io;
  auto r = std::make_shared<Recorder>(io);
  r->flow().start(RelayMode::kAuto, kBufferBytes);
  ASSERT_EQ(exchange(io, *r, kBufferBytes), pattern(kBufferBytes));
  ASSERT_EQ(exchange(io, *r, 100), pattern(100));
  ASSERT_EQ(exchange(io, *r, kBufferBytes), pattern(kBufferBytes));
  EXPECT_FALSE(r->flow().splicing()) << "the small read in between started the count over";
  EXPECT_EQ(r->to_splice, 0);
}

// No descriptor for a pipe: the flow copies instead, says so once, does
// not try again, and nothing is lost.
TEST(RelayFlowFallback, NoPipeMeansCopyingAndIsReportedOnce) {
  asio::io_context io;
  Admission no_room(1, 1, 0);
  auto r = std::make_shared<Recorder>(io, &no_room);
  r->flow().start(RelayMode::kAuto, kBufferBytes);
  const auto small = pattern(100);
  EXPECT_EQ(pass(io, *r, small), small);
  const auto data = pattern(200'000);
  EXPECT_EQ(pass(io, *r, data), data);
  EXPECT_EQ(r->fallbacks, 1);
  EXPECT_EQ(r->to_splice, 1) << "the bulk tried to splice";
  EXPECT_FALSE(r->flow().splicing()) << "and copies from then on";
  EXPECT_EQ(pass(io, *r, data), data);
  EXPECT_EQ(r->fallbacks, 1) << "said once";
}

}  // namespace
}  // namespace meshgate::gateway

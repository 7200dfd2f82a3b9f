#include "admin/access_log.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace meshgate::admin {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;

// 2026-11-22T10:00:00.123Z
std::chrono::system_clock::time_point fixed_start() {
  using namespace std::chrono;
  return sys_days{year{2026} / 11 / 22} + hours(10) + milliseconds(123);
}

asio::ip::tcp::endpoint ep(const char* address, uint16_t port) {
  return {asio::ip::make_address(address), port};
}

AccessRecord sample_record() {
  AccessRecord record;
  record.start = fixed_start();
  record.client = ep("127.0.0.1", 40000);
  record.listener = "passthrough";
  record.sni = "outbound_.9080_.v1_.reviews.default.svc.cluster.local";
  record.route = "outbound|9080|v1|reviews.default.svc.cluster.local";
  record.endpoint = ep("10.0.0.7", 9443);
  record.bytes_from_client = 517;
  record.bytes_from_upstream = 1024;
  record.duration = nanoseconds(12'345'400);
  record.reason = "completed";
  return record;
}

// Every byte printable ASCII: nothing can end or split the line.
bool printable_ascii(const std::string& line) {
  for (const char c : line) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f) return false;
  }
  return true;
}

class TempDir {
 public:
  TempDir() {
    char name[] = "/tmp/access_log_test.XXXXXX";
    if (::mkdtemp(name) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = name;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

config::AccessLog log_config(const std::string& path,
                             config::AccessLogFormat format = config::AccessLogFormat::kText) {
  config::AccessLog config;
  config.enabled = true;
  config.format = format;
  config.path = path;
  return config;
}

// --- formatting ---------------------------------------------------------

TEST(AccessLogFormat, TextLineIsExact) {
  EXPECT_EQ(format_access_text(sample_record()),
            "2026-11-22T10:00:00.123Z passthrough client=127.0.0.1:40000 "
            "sni=\"outbound_.9080_.v1_.reviews.default.svc.cluster.local\" "
            "route=\"outbound|9080|v1|reviews.default.svc.cluster.local\" "
            "endpoint=10.0.0.7:9443 bytes_from_client=517 bytes_from_upstream=1024 "
            "duration_ms=12.345 reason=completed");
}

TEST(AccessLogFormat, TextWithoutSniOrEndpointAndIpv6Client) {
  AccessRecord record = sample_record();
  record.client = ep("::1", 40000);
  record.listener = "istiod";
  record.sni = "";
  record.route = "";
  record.endpoint.reset();
  record.bytes_from_client = 0;
  record.bytes_from_upstream = 0;
  record.duration = nanoseconds(1'500);  // rounds to 0.002 ms
  record.reason = "no_sni";
  EXPECT_EQ(format_access_text(record),
            "2026-11-22T10:00:00.123Z istiod client=[::1]:40000 sni=\"\" route=\"\" endpoint=- "
            "bytes_from_client=0 bytes_from_upstream=0 duration_ms=0.002 reason=no_sni");
  record.endpoint = ep("fd00::5", 15012);
  record.duration = nanoseconds(-5);
  const std::string line = format_access_text(record);
  EXPECT_NE(line.find(" endpoint=[fd00::5]:15012 "), std::string::npos) << line;
  EXPECT_NE(line.find(" duration_ms=0.000 "), std::string::npos) << line;
}

TEST(AccessLogFormat, JsonLineIsExact) {
  EXPECT_EQ(format_access_json(sample_record()),
            "{\"start\":\"2026-11-22T10:00:00.123Z\",\"listener\":\"passthrough\","
            "\"client\":\"127.0.0.1:40000\","
            "\"sni\":\"outbound_.9080_.v1_.reviews.default.svc.cluster.local\","
            "\"route\":\"outbound|9080|v1|reviews.default.svc.cluster.local\","
            "\"endpoint\":\"10.0.0.7:9443\",\"bytes_from_client\":517,"
            "\"bytes_from_upstream\":1024,\"duration_ms\":12.345,\"reason\":\"completed\"}");
}

TEST(AccessLogFormat, JsonWithoutEndpointHasNullAndParses) {
  AccessRecord record = sample_record();
  record.endpoint.reset();
  record.client = ep("::1", 1);
  const auto json = nlohmann::json::parse(format_access_json(record));
  EXPECT_TRUE(json.at("endpoint").is_null());
  EXPECT_EQ(json.at("client"), "[::1]:1");
  EXPECT_EQ(json.at("bytes_from_upstream"), 1024);
  EXPECT_DOUBLE_EQ(json.at("duration_ms").get<double>(), 12.345);
  EXPECT_EQ(json.size(), 10u);
}

TEST(AccessLogFormat, HostileSniCannotBreakTheTextLine) {
  AccessRecord record = sample_record();
  const std::string sni = "a\nb\"c\\d\x01\xff reason=forged";
  record.sni = sni;
  record.route = "r\r\x7f";
  const std::string line = format_access_text(record);
  EXPECT_TRUE(printable_ascii(line)) << line;
  EXPECT_NE(line.find(" sni=\"a\\x0ab\\\"c\\\\d\\x01\\xff reason=forged\" "), std::string::npos)
      << line;
  EXPECT_NE(line.find(" route=\"r\\x0d\\x7f\" "), std::string::npos) << line;
  // The real reason is still the last field: the forged one sits inside quotes.
  EXPECT_TRUE(line.ends_with(" reason=completed")) << line;
}

TEST(AccessLogFormat, HostileSniKeepsJsonValid) {
  AccessRecord record = sample_record();
  const std::string sni = "a\nb\"c\\d\x01\xff\",\"reason\":\"x";
  record.sni = sni;
  const std::string line = format_access_json(record);
  EXPECT_TRUE(printable_ascii(line)) << line;
  EXPECT_NE(line.find("\"sni\":\"a\\nb\\\"c\\\\d\\u0001\\u00ff\\\",\\\"reason"), std::string::npos)
      << line;
  const auto json = nlohmann::json::parse(line);  // throws on invalid JSON
  // The bytes read back as Latin-1: 0xff is U+00FF, UTF-8 c3 bf.
  EXPECT_EQ(json.at("sni"), "a\nb\"c\\d\x01\xc3\xbf\",\"reason\":\"x");
  EXPECT_EQ(json.at("reason"), "completed");
}

TEST(AccessLogFormat, ListenerAndReasonThatAreNotPlainTokensAreQuoted) {
  AccessRecord record = sample_record();
  record.listener = "";
  record.reason = "bad reason\n";
  const std::string line = format_access_text(record);
  EXPECT_EQ(line.substr(0, 28), "2026-11-22T10:00:00.123Z \"\" ");
  EXPECT_TRUE(line.ends_with(" reason=\"bad reason\\x0a\"")) << line;
}

TEST(AccessLogFormat, StartIsUtcWhateverTheLocalZone) {
  const char* old = std::getenv("TZ");
  const std::string saved = old ? old : "";
  ::setenv("TZ", "XST-05:30", 1);  // POSIX zone string, no tzdata needed
  ::tzset();
  AccessRecord record = sample_record();
  const std::string text = format_access_text(record);
  record.start = std::chrono::system_clock::time_point{} - milliseconds(1);
  const std::string before_epoch = format_access_text(record);
  if (old) {
    ::setenv("TZ", saved.c_str(), 1);
  } else {
    ::unsetenv("TZ");
  }
  ::tzset();
  EXPECT_EQ(text.substr(0, 25), "2026-11-22T10:00:00.123Z ");
  EXPECT_EQ(before_epoch.substr(0, 25), "1969-12-31T23:59:59.999Z ");
}

// --- the log ------------------------------------------------------------

TEST(AccessLog, FlushShowsLinesAppendedToTheFile) {
  TempDir dir;
  const std::string path = dir.file("access.log");
  std::ofstream(path) << "earlier line\n";
  auto log = AccessLog::open(log_config(path));
  AccessRecord record = sample_record();
  log->write(record);
  record.reason = "upstream_reset";
  log->write(record);
  log->flush();
  const auto lines = read_lines(path);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "earlier line");
  EXPECT_EQ(lines[1], format_access_text(sample_record()));
  EXPECT_EQ(lines[2], format_access_text(record));
  EXPECT_EQ(log->written(), 2u);
  EXPECT_EQ(log->dropped(), 0u);
}

TEST(AccessLog, CreatesTheFileWithoutExecuteOrOtherWrite) {
  TempDir dir;
  const std::string path = dir.file("new.log");
  auto log = AccessLog::open(log_config(path));
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_TRUE(S_ISREG(info.st_mode));
  EXPECT_EQ(info.st_mode & 0133, 0u);
}

TEST(AccessLog, JsonFormatWritesOneObjectPerLine) {
  TempDir dir;
  const std::string path = dir.file("access.json");
  auto log = AccessLog::open(log_config(path, config::AccessLogFormat::kJson));
  log->write(sample_record());
  log->flush();
  const auto lines = read_lines(path);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], format_access_json(sample_record()));
  EXPECT_EQ(nlohmann::json::parse(lines[0]).at("listener"), "passthrough");
}

TEST(AccessLog, DestructorWritesWhatIsQueued) {
  TempDir dir;
  const std::string path = dir.file("access.log");
  {
    auto log = AccessLog::open(log_config(path));
    for (int i = 0; i < 500; ++i)
      log->write(sample_record());
  }
  const auto lines = read_lines(path);
  ASSERT_EQ(lines.size(), 500u);
  EXPECT_EQ(lines.back(), format_access_text(sample_record()));
}

TEST(AccessLog, ConcurrentWritersLoseNoLine) {
  TempDir dir;
  const std::string path = dir.file("access.log");
  auto log = AccessLog::open(log_config(path));
  constexpr int kThreads = 4;
  constexpr int kPerThread = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&log] {
      for (int i = 0; i < kPerThread; ++i)
        log->write(sample_record());
    });
  }
  for (auto& thread : threads)
    thread.join();
  log->flush();
  const auto lines = read_lines(path);
  EXPECT_EQ(lines.size(), static_cast<std::size_t>(kThreads * kPerThread));
  EXPECT_EQ(log->written() + log->dropped(), static_cast<uint64_t>(kThreads * kPerThread));
  for (const auto& line : lines)
    ASSERT_EQ(line, format_access_text(sample_record()));
}

TEST(AccessLog, DisabledLogWritesNothing) {
  TempDir dir;
  config::AccessLog config = log_config(dir.file("never.log"));
  config.enabled = false;
  auto log = AccessLog::open(config);
  ASSERT_NE(log, nullptr);
  log->write(sample_record());
  log->flush();
  EXPECT_FALSE(std::filesystem::exists(config.path));
  EXPECT_EQ(log->written(), 0u);
  EXPECT_EQ(log->dropped(), 0u);
}

TEST(AccessLog, UnopenablePathThrowsNamingIt) {
  TempDir dir;
  const std::string path = dir.file("missing/dir/access.log");
  try {
    AccessLog::open(log_config(path));
    FAIL() << "open did not throw";
  } catch (const std::runtime_error& error) {
    const std::string message = error.what();
    EXPECT_EQ(message.rfind("cannot open access log '" + path + "': ", 0), 0u) << message;
    EXPECT_NE(message.find("No such file or directory"), std::string::npos) << message;
  }
}

TEST(AccessLog, FifoWithoutReaderThrowsInsteadOfHanging) {
  TempDir dir;
  const std::string path = dir.file("fifo");
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  EXPECT_THROW(AccessLog::open(log_config(path)), std::runtime_error);
}

// /dev/full accepts the open and fails every write (ENOSPC): each line is
// counted as lost, none as written.
TEST(AccessLog, SinkErrorsCountLinesAsDropped) {
  auto log = AccessLog::open(log_config("/dev/full"));
  for (int i = 0; i < 100; ++i)
    log->write(sample_record());
  log->flush();
  EXPECT_EQ(log->written(), 0u);
  EXPECT_EQ(log->dropped(), 100u);
}

// Reads the FIFO until every writer has closed it; each wait is bounded.
std::string drain_fifo(int fd) {
  std::string data;
  char buffer[65536];
  for (;;) {
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, 5000) <= 0) return data + "<timeout>";
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) return data;
    if (n > 0) data.append(buffer, static_cast<std::size_t>(n));
    if (n < 0 && errno != EAGAIN && errno != EINTR) return data + "<error>";
  }
}

// Deterministic overflow: the log writes to a FIFO nobody reads yet, so the
// writer blocks once the pipe is full. Lines accepted before the first drop
// are at most the pipe's content + the batch the writer holds + the queue,
// each bounded by the queue capacity (8192 lines): 40000 lines must overflow.
// Then the reader drains the pipe and every accepted line arrives whole.
TEST(AccessLog, FullQueueDropsAndCountsLines) {
  TempDir dir;
  const std::string path = dir.file("fifo");
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  const int reader = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(reader, 0);
  constexpr uint64_t kLines = 40000;
  auto log = AccessLog::open(log_config(path));
  for (uint64_t i = 0; i < kLines; ++i)
    log->write(sample_record());
  EXPECT_GT(log->dropped(), 0u);

  std::string data;
  std::thread drainer([&] { data = drain_fifo(reader); });
  log->flush();
  const uint64_t written = log->written();
  EXPECT_EQ(written + log->dropped(), kLines);
  log.reset();  // closes the write end: the reader sees EOF
  drainer.join();
  ::close(reader);

  const std::string expected = format_access_text(sample_record()) + "\n";
  ASSERT_EQ(data.size(), written * expected.size());
  for (std::size_t at = 0; at < data.size(); at += expected.size()) {
    ASSERT_EQ(data.compare(at, expected.size(), expected), 0) << "at byte " << at;
  }
}

}  // namespace
}  // namespace meshgate::admin

#include "admin/access_log.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <iterator>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace meshgate::admin {
namespace {

// The queue between write() and the writer thread: at most this many lines and
// this many bytes; a line that does not fit is dropped and counted.
constexpr std::size_t kQueueCapacity = 8192;
constexpr std::size_t kQueueMaxBytes = 8 * 1024 * 1024;
// The writer hands the sink at most this many bytes per write().
constexpr std::size_t kChunkBytes = 64 * 1024;
// Bounds on every wait: an idle writer re-checks its state, a sink that does
// not accept bytes (non-blocking fd) fails the chunk, flush() and the
// destructor give up on a sink that never drains.
constexpr auto kIdleWait = std::chrono::seconds(1);
constexpr int kStallTimeoutMs = 5000;
constexpr auto kFlushTimeout = std::chrono::seconds(10);
constexpr auto kShutdownTimeout = std::chrono::seconds(10);

constexpr char kHex[] = "0123456789abcdef";

void append_hex_byte(std::string& out, std::string_view prefix, unsigned char byte) {
  out += prefix;
  out += kHex[byte >> 4];
  out += kHex[byte & 0xf];
}

// Text values: quoted; backslash and quote escaped; anything not printable
// ASCII as \xHH, so the value can hold neither a newline nor a space-free forgery.
void append_quoted(std::string& out, std::string_view value) {
  out += '"';
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte >= 0x7f) {
      append_hex_byte(out, "\\x", byte);
    } else {
      out += c;
    }
  }
  out += '"';
}

// Names the gateway chooses itself (listener, reason) go out bare when they
// are plain tokens, quoted otherwise, so even a bad caller cannot split a line.
void append_token(std::string& out, std::string_view value) {
  bool plain = !value.empty();
  for (const char c : value) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    plain = plain && ok;
  }
  if (plain) {
    out += value;
  } else {
    append_quoted(out, value);
  }
}

// JSON strings: the bytes are read as Latin-1, so any byte sequence gives
// valid JSON; everything outside printable ASCII is \u00XX.
void append_json_string(std::string& out, std::string_view value) {
  out += '"';
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte >= 0x7f) {
      append_hex_byte(out, "\\u00", byte);
    } else {
      out += c;
    }
  }
  out += '"';
}

std::string endpoint_string(const asio::ip::tcp::endpoint& endpoint) {
  const asio::ip::address address = endpoint.address();
  if (address.is_v6()) return fmt::format("[{}]:{}", address.to_string(), endpoint.port());
  return fmt::format("{}:{}", address.to_string(), endpoint.port());
}

// RFC 3339, UTC, milliseconds: 2026-11-22T10:00:00.123Z.
std::string time_string(std::chrono::system_clock::time_point start) {
  using std::chrono::floor;
  const auto ms = floor<std::chrono::milliseconds>(start.time_since_epoch());
  const auto secs = floor<std::chrono::seconds>(ms);
  const auto seconds = static_cast<std::time_t>(secs.count());
  std::tm tm{};
  if (gmtime_r(&seconds, &tm) == nullptr) return "1970-01-01T00:00:00.000Z";
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (ms - secs).count());
}

// Milliseconds with 3 decimals, rounded to the nearest microsecond; a
// negative duration (clock trouble) shows as 0.000.
std::string duration_string(std::chrono::nanoseconds duration) {
  const int64_t ns = duration.count();
  const uint64_t us = ns <= 0 ? 0 : (static_cast<uint64_t>(ns) + 500) / 1000;
  return fmt::format("{}.{:03}", us / 1000, us % 1000);
}

// --- the sink -----------------------------------------------------------

// Writes all of `data` unless the sink fails; returns the bytes written.
std::size_t write_all(int fd, std::string_view data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd pfd{fd, POLLOUT, 0};
      if (::poll(&pfd, 1, kStallTimeoutMs) <= 0) return done;
    } else {
      return done;
    }
  }
  return done;
}

// How many of lines[first..] fit whole (with their newline) in `bytes`.
uint64_t whole_lines(const std::vector<std::string>& lines, std::size_t first, std::size_t bytes) {
  uint64_t count = 0;
  for (std::size_t i = first; i < lines.size() && lines[i].size() + 1 <= bytes; ++i) {
    bytes -= lines[i].size() + 1;
    ++count;
  }
  return count;
}

// Writes each line plus '\n' in chunks; returns how many lines went out whole.
// After a failed write the rest of the batch is lost (the caller counts it).
uint64_t write_lines(int fd, const std::vector<std::string>& lines, std::string& chunk) {
  uint64_t written = 0;
  std::size_t first = 0;
  chunk.clear();
  for (std::size_t i = 0; i < lines.size(); ++i) {
    chunk += lines[i];
    chunk += '\n';
    if (chunk.size() < kChunkBytes && i + 1 < lines.size()) continue;
    const std::size_t n = write_all(fd, chunk);
    if (n < chunk.size()) return written + whole_lines(lines, first, n);
    written += i + 1 - first;
    first = i + 1;
    chunk.clear();
  }
  return written;
}

int open_sink(const config::AccessLog& config) {
  if (config.path.empty()) {
    const int fd = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
    if (fd < 0) {
      throw std::runtime_error(
          fmt::format("cannot open access log '<stdout>': {}", std::strerror(errno)));
    }
    return fd;
  }
  // O_NONBLOCK only for the open itself: a FIFO without a reader fails
  // (ENXIO) instead of hanging start-up. Writes then block normally.
  const int fd =
      ::open(config.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NONBLOCK, 0644);
  if (fd < 0) {
    throw std::runtime_error(
        fmt::format("cannot open access log '{}': {}", config.path, std::strerror(errno)));
  }
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  return fd;
}

// State shared by the log and its writer thread. The thread holds its own
// reference, so a writer stuck on a dead sink can be detached safely.
struct State {
  explicit State(int sink_fd, config::AccessLogFormat log_format)
      : fd(sink_fd), format(log_format) {}
  ~State() {
    if (fd >= 0) ::close(fd);
  }
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  const int fd;
  const config::AccessLogFormat format;

  std::mutex mutex;
  std::condition_variable work_cv;  // writer: lines queued or stop
  std::condition_variable done_cv;  // flush() and shutdown: progress
  std::vector<std::string> pending;
  std::size_t pending_bytes = 0;
  uint64_t queued = 0;     // lines accepted, ever
  uint64_t completed = 0;  // lines the writer finished with (written or failed)
  bool stop = false;
  bool exited = false;

  std::atomic<uint64_t> written{0};
  std::atomic<uint64_t> dropped{0};
};

// Takes the whole queue at once, writes it outside the lock, repeats until
// stopped with an empty queue.
void run_writer(const std::shared_ptr<State>& state) {
  // A closed pipe gives EPIPE here rather than a process-wide SIGPIPE.
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &block, nullptr);

  std::vector<std::string> batch;
  std::string chunk;
  for (;;) {
    {
      std::unique_lock lock(state->mutex);
      while (state->pending.empty() && !state->stop)
        state->work_cv.wait_for(lock, kIdleWait);
      if (state->pending.empty()) break;
      batch.swap(state->pending);
      state->pending_bytes = 0;
    }
    const uint64_t ok = write_lines(state->fd, batch, chunk);
    {
      std::lock_guard lock(state->mutex);
      state->completed += batch.size();
      state->written.fetch_add(ok, std::memory_order_relaxed);
      state->dropped.fetch_add(batch.size() - ok, std::memory_order_relaxed);
    }
    state->done_cv.notify_all();
    batch.clear();
  }
  {
    std::lock_guard lock(state->mutex);
    state->exited = true;
  }
  state->done_cv.notify_all();
}

}  // namespace

std::string format_access_text(const AccessRecord& record) {
  std::string out = time_string(record.start);
  out.reserve(256);
  out += ' ';
  append_token(out, record.listener);
  out += " client=";
  out += endpoint_string(record.client);
  out += " sni=";
  append_quoted(out, record.sni);
  out += " route=";
  append_quoted(out, record.route);
  out += " endpoint=";
  out += record.endpoint ? endpoint_string(*record.endpoint) : std::string("-");
  fmt::format_to(std::back_inserter(out), " bytes_from_client={} bytes_from_upstream={}",
                 record.bytes_from_client, record.bytes_from_upstream);
  out += " duration_ms=";
  out += duration_string(record.duration);
  out += " reason=";
  append_token(out, record.reason);
  return out;
}

std::string format_access_json(const AccessRecord& record) {
  std::string out;
  out.reserve(320);
  out += "{\"start\":";
  append_json_string(out, time_string(record.start));
  out += ",\"listener\":";
  append_json_string(out, record.listener);
  out += ",\"client\":";
  append_json_string(out, endpoint_string(record.client));
  out += ",\"sni\":";
  append_json_string(out, record.sni);
  out += ",\"route\":";
  append_json_string(out, record.route);
  out += ",\"endpoint\":";
  if (record.endpoint) {
    append_json_string(out, endpoint_string(*record.endpoint));
  } else {
    out += "null";
  }
  fmt::format_to(std::back_inserter(out), ",\"bytes_from_client\":{},\"bytes_from_upstream\":{}",
                 record.bytes_from_client, record.bytes_from_upstream);
  out += ",\"duration_ms\":";
  out += duration_string(record.duration);
  out += ",\"reason\":";
  append_json_string(out, record.reason);
  out += '}';
  return out;
}

class AccessLog::Impl {
 public:
  Impl() = default;  // disabled
  explicit Impl(std::shared_ptr<State> state) : state_(std::move(state)) {
    thread_ = std::thread([s = state_] { run_writer(s); });
  }
  ~Impl();
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  void write(const AccessRecord& record);
  void flush();
  uint64_t written() const { return state_ ? state_->written.load() : 0; }
  uint64_t dropped() const { return state_ ? state_->dropped.load() : 0; }

 private:
  std::shared_ptr<State> state_;  // null: disabled
  std::thread thread_;
};

AccessLog::Impl::~Impl() {
  if (!state_) return;
  bool exited = false;
  {
    std::unique_lock lock(state_->mutex);
    state_->stop = true;
    state_->work_cv.notify_one();
    exited = state_->done_cv.wait_for(lock, kShutdownTimeout, [&] { return state_->exited; });
  }
  // A writer stuck in write() on a sink that never drains keeps its own
  // reference to the state; it is left behind rather than hanging shutdown.
  if (exited) {
    thread_.join();
  } else {
    thread_.detach();
  }
}

void AccessLog::Impl::write(const AccessRecord& record) {
  if (!state_) return;
  std::string line = state_->format == config::AccessLogFormat::kJson ? format_access_json(record)
                                                                      : format_access_text(record);
  bool wake = false;
  {
    std::lock_guard lock(state_->mutex);
    if (state_->pending.size() >= kQueueCapacity ||
        state_->pending_bytes + line.size() > kQueueMaxBytes) {
      state_->dropped.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    wake = state_->pending.empty();
    state_->pending_bytes += line.size();
    state_->pending.push_back(std::move(line));
    ++state_->queued;
  }
  if (wake) state_->work_cv.notify_one();
}

void AccessLog::Impl::flush() {
  if (!state_) return;
  std::unique_lock lock(state_->mutex);
  const uint64_t target = state_->queued;
  state_->done_cv.wait_for(lock, kFlushTimeout, [&] { return state_->completed >= target; });
}

std::shared_ptr<AccessLog> AccessLog::open(const config::AccessLog& config) {
  if (!config.enabled) return std::shared_ptr<AccessLog>(new AccessLog(std::make_unique<Impl>()));
  auto state = std::make_shared<State>(open_sink(config), config.format);
  return std::shared_ptr<AccessLog>(new AccessLog(std::make_unique<Impl>(std::move(state))));
}

AccessLog::AccessLog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AccessLog::~AccessLog() = default;

void AccessLog::write(const AccessRecord& record) {
  impl_->write(record);
}
void AccessLog::flush() {
  impl_->flush();
}
uint64_t AccessLog::written() const {
  return impl_->written();
}
uint64_t AccessLog::dropped() const {
  return impl_->dropped();
}

}  // namespace meshgate::admin

// The four load modes of passthrough_loadgen. One Worker per thread, each
// with its own io_context (concurrency hint 1) and fixed slots; a slot is one
// connection's state machine and reuses its socket and buffers for the run.
// Handlers capture only `this`, so Asio's recycled handler memory serves them
// and the hot path never allocates.
#include <algorithm>
#include <iostream>
#include <latch>
#include <memory>
#include <thread>

#include "tests/bench/passthrough/loadgen.h"

namespace meshgate::bench {
namespace {

using Clock = std::chrono::steady_clock;
using boost::system::error_code;
using tcp = asio::ip::tcp;

// Far more than any run: D asks the backend for this much and never sees the end.
constexpr uint64_t kEndlessDownload = uint64_t{1} << 62;
constexpr auto kWatchdogTick = std::chrono::milliseconds(20);
constexpr auto kPacerTick = std::chrono::milliseconds(5);

uint64_t nanos(Clock::duration elapsed) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count());
}

// Filled in before the threads start, read-only after; shared by all of them.
struct Plan {
  const LoadOptions& options;
  Bytes preamble;              // what a connection sends first
  Bytes preamble_and_message;  // connrate and idle: one write per connection
  Bytes message;               // what the echo must return
  Bytes chunk;                 // bulk up payload
  Clock::time_point start;
  Clock::time_point deadline;
};

Plan make_plan(const LoadOptions& options, const Bytes& hello) {
  Plan plan{options, {}, {}, {}, {}, {}, {}};
  const bool bulk = options.mode == Mode::kBulk;
  if (bulk && options.direction == Direction::kUp) {
    plan.preamble = preamble(hello, Command::kSink);
    plan.chunk.assign(options.chunk, 0x5a);
  } else if (bulk) {
    plan.preamble = preamble(hello, Command::kDownload, kEndlessDownload);
  } else {
    plan.preamble = preamble(hello, Command::kEcho);
    const std::size_t size = options.mode == Mode::kIdle ? 1 : options.message;
    plan.message.resize(size);
    for (std::size_t i = 0; i < size; ++i)
      plan.message[i] = static_cast<uint8_t>('a' + i % 26);
  }
  plan.preamble_and_message = plan.preamble;
  plan.preamble_and_message.insert(plan.preamble_and_message.end(), plan.message.begin(),
                                   plan.message.end());
  return plan;
}

class Worker;

class Slot {
 public:
  explicit Slot(Worker& worker);
  virtual ~Slot() = default;
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;

  virtual void start() = 0;
  // Closes the socket of an operation past its deadline; the pending
  // handler then fails and counts a timeout.
  void check_timeout(Clock::time_point now);
  void close_for_shutdown();

 protected:
  // After a failure already counted: what the mode does next.
  virtual void after_failure() = 0;

  // Opens a fresh socket and connects; `then` runs once connected.
  template <typename Then>
  void connect(Then then);
  void arm() { op_deadline_ = Clock::now() + plan().options.op_timeout; }
  void disarm() { op_deadline_ = Clock::time_point::max(); }
  void fail(uint64_t ErrorCounts::*kind);
  void fail_io(const error_code& ec);
  void close();
  void finish();  // this slot is done for the run
  const Plan& plan() const;
  Totals& totals();
  bool past_deadline(Clock::time_point now) const { return now >= plan().deadline; }

  Worker& worker_;
  tcp::socket socket_;
  Clock::time_point op_deadline_ = Clock::time_point::max();
  bool timed_out_ = false;
  bool shutting_down_ = false;
};

class Worker {
 public:
  Worker(const Plan& plan, int slot_count, std::latch* setup_latch);
  void run();
  void close_all();  // idle: called through post() from the main thread

  asio::io_context& context() { return context_; }
  const Plan& plan() const { return plan_; }
  Totals& totals() { return totals_; }
  const Totals& setup_totals() const { return setup_totals_; }
  uint64_t dropped() const { return dropped_; }
  void count_drop() { ++dropped_; }
  void slot_finished();
  void slot_set_up();  // idle: one connection established or failed

 private:
  void watch();
  void pace();

  asio::io_context context_{1};
  const Plan& plan_;
  asio::steady_timer watchdog_{context_};
  asio::steady_timer pacer_{context_};
  std::vector<std::unique_ptr<Slot>> slots_;
  std::size_t launched_ = 0;
  std::size_t active_ = 0;
  std::size_t setting_up_ = 0;
  std::latch* setup_latch_;
  Totals totals_;
  Totals setup_totals_;
  uint64_t dropped_ = 0;
};

Slot::Slot(Worker& worker) : worker_(worker), socket_(worker.context()) {}
const Plan& Slot::plan() const {
  return worker_.plan();
}
Totals& Slot::totals() {
  return worker_.totals();
}

void Slot::check_timeout(Clock::time_point now) {
  if (now < op_deadline_) return;
  timed_out_ = true;
  disarm();
  error_code ignored;
  socket_.close(ignored);
}

void Slot::close_for_shutdown() {
  shutting_down_ = true;
  close();
}

template <typename Then>
void Slot::connect(Then then) {
  error_code ec;
  socket_.open(plan().options.target.protocol(), ec);
  if (!ec) socket_.set_option(tcp::no_delay(true), ec);
  if (ec) {
    // Posted, not called: a failing open() (EMFILE) must not recurse.
    ++totals().errors.connect;
    close();
    asio::post(worker_.context(), [this] { after_failure(); });
    return;
  }
  arm();
  socket_.async_connect(plan().options.target, [this, then](const error_code& error) {
    disarm();
    if (error) {
      fail(&ErrorCounts::connect);
      return;
    }
    ++totals().connected;
    then();
  });
}

void Slot::fail(uint64_t ErrorCounts::*kind) {
  ++(totals().errors.*(timed_out_ ? &ErrorCounts::timeout : kind));
  timed_out_ = false;
  close();
  after_failure();
}

void Slot::fail_io(const error_code& ec) {
  fail(ec == asio::error::eof ? &ErrorCounts::eof : &ErrorCounts::io);
}

void Slot::close() {
  disarm();
  error_code ignored;
  socket_.close(ignored);
}

void Slot::finish() {
  close();
  worker_.slot_finished();
}

// bulk: one long stream per slot; up sends chunks, down reads them.
class BulkSlot final : public Slot {
 public:
  explicit BulkSlot(Worker& worker) : Slot(worker), buffer_(plan().options.chunk) {}

  void start() override {
    connect([this] {
      arm();
      asio::async_write(socket_, asio::buffer(plan().preamble),
                        [this](const error_code& ec, std::size_t) {
                          disarm();
                          if (ec) return fail_io(ec);
                          up() ? send() : receive();
                        });
    });
  }

 private:
  bool up() const { return plan().options.direction == Direction::kUp; }
  void after_failure() override { worker_.slot_finished(); }

  // Counts bytes moved before the deadline; says whether to go on.
  bool account(std::size_t bytes) {
    const Clock::time_point now = Clock::now();
    if (past_deadline(now)) return false;
    totals().bytes += bytes;
    return true;
  }

  void send() {
    arm();
    asio::async_write(socket_, asio::buffer(plan().chunk),
                      [this](const error_code& ec, std::size_t n) {
                        disarm();
                        if (ec) return fail_io(ec);
                        account(n) ? send() : drain();
                      });
  }

  // Half-close and wait for the backend to see the end and close.
  void drain() {
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    arm();
    socket_.async_read_some(asio::buffer(buffer_), [this](const error_code& ec, std::size_t) {
      disarm();
      if (ec == asio::error::eof) return finish();
      if (ec) return fail_io(ec);
      drain();  // the sink's greeting (wire.h), read at last
    });
  }

  void receive() {
    arm();
    socket_.async_read_some(asio::buffer(buffer_), [this](const error_code& ec, std::size_t n) {
      disarm();
      if (ec) return fail_io(ec);
      account(n) ? receive() : finish();
    });
  }

  std::vector<uint8_t> buffer_;
};

// connrate: connect, send hello+E+message, time the first echoed byte, read
// the whole echo, close; again until the deadline.
class ConnRateSlot final : public Slot {
 public:
  explicit ConnRateSlot(Worker& worker) : Slot(worker), echo_(plan().message.size()) {}

  void start() override {
    if (past_deadline(Clock::now())) return finish();
    began_ = Clock::now();
    got_ = 0;
    connect([this] {
      arm();
      asio::async_write(socket_, asio::buffer(plan().preamble_and_message),
                        [this](const error_code& ec, std::size_t) {
                          disarm();
                          if (ec) return fail_io(ec);
                          read_echo();
                        });
    });
  }

 private:
  void after_failure() override { start(); }

  void read_echo() {
    arm();
    socket_.async_read_some(asio::buffer(echo_.data() + got_, echo_.size() - got_),
                            [this](const error_code& ec, std::size_t n) {
                              disarm();
                              if (ec) return fail_io(ec);
                              if (got_ == 0) first_byte_ = Clock::now();
                              got_ += n;
                              if (got_ < echo_.size()) return read_echo();
                              done();
                            });
  }

  void done() {
    if (echo_ != plan().message) return fail(&ErrorCounts::mismatch);
    close();
    if (!past_deadline(Clock::now())) {
      ++totals().completed;
      totals().histogram.record(nanos(first_byte_ - began_));
    }
    start();
  }

  std::vector<uint8_t> echo_;
  std::size_t got_ = 0;
  Clock::time_point began_;
  Clock::time_point first_byte_;
};

// latency: one connection, message -> echo ping-pong until the deadline;
// reconnects after a failure. Strictly one operation at a time, so a late
// handler can never touch the next connection.
class LatencySlot final : public Slot {
 public:
  explicit LatencySlot(Worker& worker) : Slot(worker), echo_(plan().message.size()) {}

  void start() override {
    if (past_deadline(Clock::now())) return finish();
    connect([this] {
      arm();
      asio::async_write(socket_, asio::buffer(plan().preamble),
                        [this](const error_code& ec, std::size_t) {
                          if (ec) return fail_io(ec);
                          request();
                        });
    });
  }

 private:
  void after_failure() override { start(); }

  void request() {
    began_ = Clock::now();
    got_ = 0;
    op_deadline_ = began_ + plan().options.op_timeout;
    asio::async_write(socket_, asio::buffer(plan().message),
                      [this](const error_code& ec, std::size_t) {
                        if (ec) return fail_io(ec);
                        read_echo();
                      });
  }

  void read_echo() {
    socket_.async_read_some(asio::buffer(echo_.data() + got_, echo_.size() - got_),
                            [this](const error_code& ec, std::size_t n) {
                              if (ec) return fail_io(ec);
                              got_ += n;
                              if (got_ < echo_.size()) return read_echo();
                              done();
                            });
  }

  void done() {
    disarm();
    if (echo_ != plan().message) return fail(&ErrorCounts::mismatch);
    const Clock::time_point now = Clock::now();
    if (past_deadline(now)) return finish();
    ++totals().completed;
    totals().histogram.record(nanos(now - began_));
    request();
  }

  std::vector<uint8_t> echo_;
  std::size_t got_ = 0;
  Clock::time_point began_;
};

// idle: connect at the paced rate, prove the relay with a 1-byte echo, then
// hold the connection with a read that only ends when the peer closes.
class IdleSlot final : public Slot {
 public:
  explicit IdleSlot(Worker& worker) : Slot(worker) {}

  void start() override {
    connect([this] {
      arm();
      asio::async_write(socket_, asio::buffer(plan().preamble_and_message),
                        [this](const error_code& ec, std::size_t) {
                          if (ec) return fail_io(ec);
                          read_echo();
                        });
    });
  }

 private:
  void after_failure() override { worker_.slot_set_up(); }

  void read_echo() {
    socket_.async_read_some(asio::buffer(&byte_, 1), [this](const error_code& ec, std::size_t) {
      if (ec) return fail_io(ec);
      if (byte_ != plan().message[0]) return fail(&ErrorCounts::mismatch);
      disarm();
      ++totals().completed;
      worker_.slot_set_up();
      hold();
    });
  }

  void hold() {
    socket_.async_read_some(asio::buffer(&byte_, 1), [this](const error_code&, std::size_t) {
      if (shutting_down_) return;
      worker_.count_drop();  // closed (or spoke) during the hold
      close();
    });
  }

  uint8_t byte_ = 0;
};

std::unique_ptr<Slot> make_slot(Mode mode, Worker& worker) {
  switch (mode) {
    case Mode::kBulk:
      return std::make_unique<BulkSlot>(worker);
    case Mode::kConnRate:
      return std::make_unique<ConnRateSlot>(worker);
    case Mode::kLatency:
      return std::make_unique<LatencySlot>(worker);
    case Mode::kIdle:
      break;
  }
  return std::make_unique<IdleSlot>(worker);
}

Worker::Worker(const Plan& plan, int slot_count, std::latch* setup_latch)
    : plan_(plan), setup_latch_(setup_latch) {
  slots_.reserve(static_cast<std::size_t>(slot_count));
  for (int i = 0; i < slot_count; ++i)
    slots_.push_back(make_slot(plan.options.mode, *this));
}

void Worker::run() {
  totals_.start = plan_.start;
  totals_.end = plan_.start;
  active_ = setting_up_ = slots_.size();
  if (plan_.options.mode == Mode::kIdle) {
    if (slots_.empty()) setup_latch_->count_down();
    pace();
  } else {
    for (auto& slot : slots_)
      slot->start();
  }
  if (!slots_.empty()) watch();
  context_.run();
}

void Worker::watch() {
  watchdog_.expires_after(kWatchdogTick);
  watchdog_.async_wait([this](const error_code& ec) {
    const bool idle = plan_.options.mode == Mode::kIdle;
    if (ec || (idle ? setting_up_ == 0 : active_ == 0)) return;
    const Clock::time_point now = Clock::now();
    for (auto& slot : slots_)
      slot->check_timeout(now);
    watch();
  });
}

// Starts as many idle connections as this thread's share of --rate allows.
void Worker::pace() {
  const double share = plan_.options.rate / std::max(1, plan_.options.threads);
  const double elapsed = std::chrono::duration<double>(Clock::now() - plan_.start).count();
  const auto allowed = static_cast<std::size_t>(elapsed * share) + 1;
  while (launched_ < std::min(allowed, slots_.size()))
    slots_[launched_++]->start();
  if (launched_ == slots_.size()) return;
  pacer_.expires_after(kPacerTick);
  pacer_.async_wait([this](const error_code& ec) {
    if (!ec) pace();
  });
}

void Worker::slot_finished() {
  if (active_ == 0 || --active_ > 0) return;
  totals_.end = std::min(Clock::now(), plan_.deadline);
  watchdog_.cancel();
}

void Worker::slot_set_up() {
  if (setting_up_ == 0 || --setting_up_ > 0) return;
  setup_totals_ = totals_;
  watchdog_.cancel();
  setup_latch_->count_down();
}

void Worker::close_all() {
  pacer_.cancel();
  watchdog_.cancel();
  for (auto& slot : slots_)
    slot->close_for_shutdown();
}

int slot_total(const LoadOptions& options) {
  switch (options.mode) {
    case Mode::kBulk:
      return options.streams;
    case Mode::kConnRate:
      return options.concurrency;
    case Mode::kLatency:
    case Mode::kIdle:
      break;
  }
  return options.connections;
}

Clock::duration to_duration(double seconds) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

}  // namespace

Totals run_load(const LoadOptions& options, const Bytes& hello,
                const std::function<void(const Totals&)>& on_established) {
  Plan plan = make_plan(options, hello);
  const int threads = std::max(1, options.threads);
  const int total = slot_total(options);
  std::latch setup(threads);
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < threads; ++i) {
    const int share = total / threads + (i < total % threads ? 1 : 0);
    workers.push_back(std::make_unique<Worker>(plan, share, &setup));
  }
  // The clock starts once every buffer is allocated.
  plan.start = Clock::now();
  plan.deadline = plan.start + to_duration(options.seconds);
  std::vector<std::thread> running;
  for (auto& worker : workers)
    running.emplace_back([w = worker.get()] { w->run(); });
  if (options.mode == Mode::kIdle) {
    setup.wait();
    Totals established;
    for (auto& worker : workers)
      established.merge(worker->setup_totals());
    on_established(established);  // returns when the hold is over
    for (auto& worker : workers) {
      asio::post(worker->context(), [w = worker.get()] { w->close_all(); });
    }
  }
  for (auto& thread : running)
    thread.join();
  Totals result;
  uint64_t dropped = 0;
  for (auto& worker : workers) {
    result.merge(worker->totals());
    dropped += worker->dropped();
  }
  if (dropped > 0) std::cerr << "idle: " << dropped << " connections closed during the hold\n";
  return result;
}

}  // namespace meshgate::bench

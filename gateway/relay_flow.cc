#include "gateway/relay_flow.h"

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>
#include <utility>

namespace meshgate::gateway {
namespace {

using boost::system::error_code;

constexpr unsigned kSpliceFlags = SPLICE_F_MOVE | SPLICE_F_NONBLOCK;

}  // namespace

RelayFlow::RelayFlow(Owner& owner, asio::ip::tcp::socket& source, asio::ip::tcp::socket& sink,
                     Shared shared)
    : owner_(owner), source_(source), sink_(sink), shared_(shared) {}

RelayFlow::~RelayFlow() {
  // Only when the owner never stopped (its loop was destroyed with handlers
  // pending): release() gives the pipe back to the pool.
  close_pipe(pipe_);
}

void RelayFlow::start(RelayMode mode, std::size_t buffer_bytes) {
  splicing_ = mode == RelayMode::kSplice;
  adaptive_ = mode == RelayMode::kAuto;
  buffer_bytes_ = buffer_bytes;
  relay_now();  // bytes may be waiting already
}

void RelayFlow::release() {
  give_back_pipe();
}

void RelayFlow::wait_readable() {
  source_.async_wait(asio::socket_base::wait_read,
                     [this, hold = owner_.keep_alive()](const error_code& ec) {
                       if (owner_.stopped()) return;
                       if (ec) return owner_.on_failed(*this, source_);
                       relay_now();
                     });
}

void RelayFlow::relay_now() {
  if (splicing_) return splice_now();
  copy_now();
}

void RelayFlow::copy_now() {
  std::vector<uint8_t>& scratch = shared_.scratch;
  const std::size_t size = buffer_bytes_;
  if (scratch.size() < size) scratch.resize(size);
  const int from = source_.native_handle();
  for (int turn = 0; turn < kReadsPerTurn; ++turn) {
    const ssize_t n = ::recv(from, scratch.data(), size, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return wait_readable();
    if (n < 0) return owner_.on_failed(*this, source_);
    if (n == 0) return owner_.on_source_done(*this);
    owner_.on_activity();
    if (!forward(scratch.data(), static_cast<std::size_t>(n))) return;
    // A switch goes through the loop's queue: a flow that kept switching
    // must not recurse.
    if (adapt_after_read(static_cast<std::size_t>(n))) return yield_turn();
    // TCP hands over all it holds up to the size asked: a shorter read
    // emptied the socket, so the next read would only say EAGAIN. Anything
    // that arrives from now on raises a new readiness edge.
    if (static_cast<std::size_t>(n) < size) return wait_readable();
  }
  yield_turn();
}

bool RelayFlow::adapt_after_read(std::size_t n) {
  if (!adaptive_) return false;
  if (n < buffer_bytes_) {
    full_reads_ = 0;
    return false;
  }
  if (++full_reads_ < kFullReadsToSplice) return false;
  full_reads_ = 0;
  splicing_ = true;
  owner_.on_mode_switch(true);
  return true;
}

// Called with the pipe empty: the bytes of the splice reached the sink.
bool RelayFlow::adapt_after_splice(std::size_t n) {
  if (!adaptive_) return false;
  if (n >= buffer_bytes_ / 8) {
    small_splices_ = 0;
    return false;
  }
  if (++small_splices_ < kSmallSplicesToCopy) return false;
  small_splices_ = 0;
  give_back_pipe();
  splicing_ = false;
  owner_.on_mode_switch(false);
  return true;
}

void RelayFlow::yield_turn() {
  // Still readable: let the worker's other connections have a turn.
  asio::post(source_.get_executor(), [this, hold = owner_.keep_alive()] {
    if (!owner_.stopped()) relay_now();
  });
}

bool RelayFlow::forward(const uint8_t* data, std::size_t n) {
  std::size_t sent = 0;
  while (sent < n) {
    const ssize_t m = ::send(sink_.native_handle(), data + sent, n - sent, MSG_NOSIGNAL);
    if (m >= 0) {
      sent += static_cast<std::size_t>(m);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    owner_.on_failed(*this, sink_);
    return false;
  }
  owner_.on_moved(*this, sent);
  if (sent == n) return true;
  pending_.assign(data + sent, data + n);
  asio::async_write(sink_, asio::buffer(pending_),
                    [this, hold = owner_.keep_alive()](const error_code& ec, std::size_t) {
                      on_pending_written(ec);
                    });
  return false;
}

void RelayFlow::on_pending_written(const error_code& ec) {
  if (owner_.stopped()) return;
  if (ec) return owner_.on_failed(*this, sink_);
  owner_.on_moved(*this, pending_.size());
  std::vector<uint8_t>().swap(pending_);  // release the memory, not only the size
  owner_.on_activity();
  relay_now();
}

bool RelayFlow::take_pipe() {
  if (pipe_.read_end >= 0) return true;
  std::optional<Pipe> lent = shared_.pipes.acquire();
  if (!lent) return false;
  pipe_ = *lent;
  return true;
}

void RelayFlow::give_back_pipe() {
  if (pipe_.read_end < 0) return;
  shared_.pipes.release(pipe_, in_pipe_ == 0);
  pipe_ = Pipe{};
  in_pipe_ = 0;
}

void RelayFlow::splice_now() {
  if (!take_pipe()) {
    splicing_ = false;
    adaptive_ = false;
    owner_.on_splice_fallback();
    return copy_now();
  }
  const int from = source_.native_handle();
  for (int turn = 0; turn < kReadsPerTurn; ++turn) {
    const ssize_t n =
        ::splice(from, nullptr, pipe_.write_end, nullptr, buffer_bytes_, kSpliceFlags);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) give_back_pipe();  // empty: the pipe was drained before this read
    if (n < 0 && errno == EAGAIN) return wait_readable();
    if (n < 0) return owner_.on_failed(*this, source_);
    if (n == 0) return owner_.on_source_done(*this);
    owner_.on_activity();
    in_pipe_ = static_cast<std::size_t>(n);
    if (!drain_pipe()) return;  // waiting for the sink, or stopped
    if (adapt_after_splice(static_cast<std::size_t>(n))) return yield_turn();
  }
  give_back_pipe();
  yield_turn();
}

bool RelayFlow::drain_pipe() {
  while (in_pipe_ > 0) {
    const ssize_t n =
        ::splice(pipe_.read_end, nullptr, sink_.native_handle(), nullptr, in_pipe_, kSpliceFlags);
    if (n > 0) {
      in_pipe_ -= static_cast<std::size_t>(n);
      owner_.on_moved(*this, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    // The pipe holds bytes, so EAGAIN can only mean the sink is full.
    if (n < 0 && errno == EAGAIN) {
      wait_writable();
      return false;
    }
    owner_.on_failed(*this, sink_);  // an error, or a sink that took nothing without one
    return false;
  }
  return true;
}

void RelayFlow::wait_writable() {
  sink_.async_wait(asio::socket_base::wait_write,
                   [this, hold = owner_.keep_alive()](const error_code& ec) {
                     if (owner_.stopped()) return;
                     if (ec) return owner_.on_failed(*this, sink_);
                     owner_.on_activity();
                     if (drain_pipe()) splice_now();
                   });
}

}  // namespace meshgate::gateway

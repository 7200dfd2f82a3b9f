// PassthroughSession's relay: both directions of an established connection.
//
// An idle connection holds no buffer and no pipe. Each direction waits for
// readability without one, then moves what the socket has to the other
// socket, without blocking, until the source is empty. By default it splices
// (passthrough_splice.cc): the bytes go through a pipe the worker lends and
// never enter the gateway. Otherwise, or when no pipe can be made, it copies:
// it reads into the worker's scratch buffer and writes straight on. Either
// way, bytes the other side cannot take yet wait, per direction, in that
// pipe or in a buffer of the flow's own (freed once sent), and until then the
// flow reads nothing more, so memory stays bounded by limits.buffer_bytes
// per direction.
//
// The sockets are non-blocking at the kernel level (asio set that for its
// first operation on each), so the relay calls recv/send/splice itself: no
// per-call mode switch. Asio's reactor is edge-triggered: a wait is armed only
// after a call has found the socket empty (or full), never while it may not be.
#include <sys/socket.h>

#include <cerrno>

#include "gateway/passthrough_session.h"

namespace meshgate::gateway {
namespace {

using boost::system::error_code;

bool make_non_blocking(asio::ip::tcp::socket& socket) {
  if (socket.native_non_blocking()) return true;  // the usual case: no system call
  error_code ec;
  socket.native_non_blocking(true, ec);
  return !ec;
}

}  // namespace

void PassthroughSession::start_relay() {
  if (!make_non_blocking(client_) || !make_non_blocking(upstream_)) {
    return stop(CloseReason::kInternalError);
  }
  splicing_.fill(config_->passthrough.splice);
  flows_running_ = 2;
  // Bytes may be waiting on either socket already.
  relay_now(Direction::kFromClient);
  relay_now(Direction::kFromUpstream);
}

std::size_t PassthroughSession::index_of(Direction direction) {
  return direction == Direction::kFromClient ? 0 : 1;
}

asio::ip::tcp::socket& PassthroughSession::source(Direction direction) {
  return direction == Direction::kFromClient ? client_ : upstream_;
}

asio::ip::tcp::socket& PassthroughSession::sink(Direction direction) {
  return direction == Direction::kFromClient ? upstream_ : client_;
}

CloseReason PassthroughSession::reset_of(asio::ip::tcp::socket& socket) const {
  return &socket == &client_ ? CloseReason::kClientReset : CloseReason::kUpstreamReset;
}

void PassthroughSession::wait_readable(Direction direction) {
  source(direction).async_wait(asio::socket_base::wait_read,
                               [self = shared_from_this(), direction](const error_code& ec) {
                                 if (self->stopped_) return;
                                 if (ec) return self->stop(self->reset_of(self->source(direction)));
                                 self->relay_now(direction);
                               });
}

void PassthroughSession::relay_now(Direction direction) {
  if (splicing_[index_of(direction)]) return splice_now(direction);
  copy_now(direction);
}

void PassthroughSession::copy_now(Direction direction) {
  std::vector<uint8_t>& scratch = ctx_.scratch;
  const std::size_t size = config_->limits.buffer_bytes;
  if (scratch.size() < size) scratch.resize(size);
  const int from = source(direction).native_handle();
  for (int turn = 0; turn < kReadsPerTurn; ++turn) {
    const ssize_t n = ::recv(from, scratch.data(), size, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return wait_readable(direction);
    if (n < 0) return stop(reset_of(source(direction)));
    if (n == 0) return end_flow(direction);
    extend_idle_deadline();
    if (!forward(direction, scratch.data(), static_cast<std::size_t>(n))) return;
    // TCP hands over all it holds up to the size asked: a shorter read
    // emptied the socket, so the next read would only say EAGAIN. Anything
    // that arrives from now on raises a new readiness edge.
    if (static_cast<std::size_t>(n) < size) return wait_readable(direction);
  }
  yield_turn(direction);
}

void PassthroughSession::yield_turn(Direction direction) {
  // Still readable: let the worker's other connections have a turn.
  asio::post(client_.get_executor(), [self = shared_from_this(), direction] {
    if (!self->stopped_) self->relay_now(direction);
  });
}

bool PassthroughSession::forward(Direction direction, const uint8_t* data, std::size_t n) {
  asio::ip::tcp::socket& to = sink(direction);
  std::size_t sent = 0;
  while (sent < n) {
    const ssize_t m = ::send(to.native_handle(), data + sent, n - sent, MSG_NOSIGNAL);
    if (m >= 0) {
      sent += static_cast<std::size_t>(m);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    stop(reset_of(to));
    return false;
  }
  count_bytes(direction, sent);
  if (sent == n) return true;
  std::vector<uint8_t>& rest = pending_[index_of(direction)];
  rest.assign(data + sent, data + n);
  asio::async_write(to, asio::buffer(rest),
                    [self = shared_from_this(), direction](const error_code& ec, std::size_t) {
                      self->on_pending_written(direction, ec);
                    });
  return false;
}

void PassthroughSession::on_pending_written(Direction direction, const error_code& ec) {
  if (stopped_) return;
  if (ec) return stop(reset_of(sink(direction)));
  std::vector<uint8_t>& sent = pending_[index_of(direction)];
  count_bytes(direction, sent.size());
  std::vector<uint8_t>().swap(sent);  // release the memory, not only the size
  extend_idle_deadline();
  relay_now(direction);
}

void PassthroughSession::end_flow(Direction direction) {
  if (--flows_running_ == 0) {
    // Both ends have sent their FIN and read everything: close() sends ours.
    return stop(CloseReason::kCompleted);
  }
  // Half-close: carry the FIN across; the other direction keeps flowing,
  // but no longer than timeouts.half_closed without a byte: a peer that
  // never closes its side (or vanished) must not hold the connection for
  // the whole idle timeout.
  error_code ec;
  sink(direction).shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  set_deadline(std::min(deadline_, Clock::now() + idle_bound()));
}

}  // namespace meshgate::gateway

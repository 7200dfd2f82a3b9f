// PassthroughSession's splicing relay: source socket -> pipe -> sink socket
// with splice(2), so relayed bytes never enter the gateway's memory. The pipe
// comes from the worker's pool when a direction has bytes to move and goes
// back, empty, when the source has no more; while the sink cannot take what
// the pipe holds, the direction keeps its pipe and reads nothing more. When no
// pipe can be made (descriptors exhausted), the direction copies instead
// (passthrough_relay.cc), counted in meshgate_splice_fallbacks_total.
#include <fcntl.h>

#include <cerrno>

#include "gateway/passthrough_session.h"

namespace meshgate::gateway {
namespace {

using boost::system::error_code;

constexpr unsigned kFlags = SPLICE_F_MOVE | SPLICE_F_NONBLOCK;

}  // namespace

PassthroughSession::~PassthroughSession() {
  // Only when the session never stopped (its worker's loop was destroyed
  // with handlers pending): stop() gives the pipes back to the pool.
  for (Pipe& pipe : pipes_)
    close_pipe(pipe);
}

bool PassthroughSession::take_pipe(Direction direction) {
  Pipe& pipe = pipes_[index_of(direction)];
  if (pipe.read_end >= 0) return true;
  std::optional<Pipe> lent = ctx_.pipes.acquire();
  if (!lent) return false;
  pipe = *lent;
  return true;
}

void PassthroughSession::give_back_pipe(Direction direction) {
  const std::size_t i = index_of(direction);
  ctx_.pipes.release(pipes_[i], in_pipe_[i] == 0);
  pipes_[i] = Pipe{};
  in_pipe_[i] = 0;
}

void PassthroughSession::splice_now(Direction direction) {
  const std::size_t i = index_of(direction);
  if (!take_pipe(direction)) {
    splicing_[i] = false;
    stats_.splice_fallbacks.add();
    return copy_now(direction);
  }
  const int from = source(direction).native_handle();
  for (int turn = 0; turn < kReadsPerTurn; ++turn) {
    const ssize_t n =
        ::splice(from, nullptr, pipes_[i].write_end, nullptr, config_->limits.buffer_bytes, kFlags);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) give_back_pipe(direction);  // empty: the pipe was drained before this read
    if (n < 0 && errno == EAGAIN) return wait_readable(direction);
    if (n < 0) return stop(reset_of(source(direction)));
    if (n == 0) return end_flow(direction);
    extend_idle_deadline();
    in_pipe_[i] = static_cast<std::size_t>(n);
    if (!drain_pipe(direction)) return;  // waiting for the sink, or stopped
  }
  give_back_pipe(direction);
  yield_turn(direction);
}

bool PassthroughSession::drain_pipe(Direction direction) {
  const std::size_t i = index_of(direction);
  asio::ip::tcp::socket& to = sink(direction);
  while (in_pipe_[i] > 0) {
    const ssize_t n =
        ::splice(pipes_[i].read_end, nullptr, to.native_handle(), nullptr, in_pipe_[i], kFlags);
    if (n > 0) {
      in_pipe_[i] -= static_cast<std::size_t>(n);
      count_bytes(direction, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    // The pipe holds bytes, so EAGAIN can only mean the sink is full.
    if (n < 0 && errno == EAGAIN) {
      wait_writable(direction);
      return false;
    }
    stop(reset_of(to));  // an error, or a sink that took nothing without one
    return false;
  }
  return true;
}

void PassthroughSession::wait_writable(Direction direction) {
  sink(direction).async_wait(asio::socket_base::wait_write,
                             [self = shared_from_this(), direction](const error_code& ec) {
                               if (self->stopped_) return;
                               if (ec) return self->stop(self->reset_of(self->sink(direction)));
                               self->extend_idle_deadline();
                               if (self->drain_pipe(direction)) self->splice_now(direction);
                             });
}

}  // namespace meshgate::gateway

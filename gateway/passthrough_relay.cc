// PassthroughSession's relay: both directions of an established connection.
//
// An idle connection holds no buffer. Each direction waits for readability
// without one, then reads into its worker's scratch buffer and writes
// straight on to the other socket, both without blocking, until the socket
// has nothing more. Only bytes the other side cannot take yet are copied
// into a buffer of the flow's own, which is freed once they are sent; until
// then the flow reads nothing more, so memory stays bounded by
// limits.buffer_bytes per direction.
//
// Asio's reactor is edge-triggered: a wait is armed only after a read has
// found the socket empty, never while bytes may be waiting.
#include "gateway/passthrough_session.h"

namespace meshgate::gateway {
namespace {

using boost::system::error_code;

// Reads per wake-up before yielding to other connections on the worker.
constexpr int kReadsPerTurn = 16;

}  // namespace

void PassthroughSession::start_relay() {
  error_code ec;
  client_.non_blocking(true, ec);
  if (!ec) upstream_.non_blocking(true, ec);
  if (ec) return stop(CloseReason::kInternalError);
  flows_running_ = 2;
  // Bytes may be waiting on either socket already.
  relay_now(Direction::kFromClient);
  relay_now(Direction::kFromUpstream);
}

std::vector<uint8_t>& PassthroughSession::pending(Direction direction) {
  return pending_[direction == Direction::kFromClient ? 0 : 1];
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
  std::vector<uint8_t>& scratch = ctx_.scratch;
  const std::size_t size = config_->limits.buffer_bytes;
  if (scratch.size() < size) scratch.resize(size);
  for (int turn = 0; turn < kReadsPerTurn; ++turn) {
    error_code ec;
    const std::size_t n = source(direction).read_some(asio::buffer(scratch.data(), size), ec);
    if (ec == asio::error::would_block) return wait_readable(direction);
    if (ec == asio::error::eof) return end_flow(direction);
    if (ec) return stop(reset_of(source(direction)));
    extend_idle_deadline();
    if (!forward(direction, scratch.data(), n)) return;  // waiting for the write, or stopped
  }
  // Still readable: let the worker's other connections have a turn.
  asio::post(client_.get_executor(), [self = shared_from_this(), direction] {
    if (!self->stopped_) self->relay_now(direction);
  });
}

bool PassthroughSession::forward(Direction direction, const uint8_t* data, std::size_t n) {
  asio::ip::tcp::socket& to = sink(direction);
  std::size_t sent = 0;
  while (sent < n) {
    error_code ec;
    sent += to.write_some(asio::buffer(data + sent, n - sent), ec);
    if (ec == asio::error::would_block) break;
    if (ec) {
      stop(reset_of(to));
      return false;
    }
  }
  count_bytes(direction, sent);
  if (sent == n) return true;
  std::vector<uint8_t>& rest = pending(direction);
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
  std::vector<uint8_t>& sent = pending(direction);
  count_bytes(direction, sent.size());
  std::vector<uint8_t>().swap(sent);  // release the memory, not only the size
  extend_idle_deadline();
  relay_now(direction);
}

void PassthroughSession::end_flow(Direction direction) {
  // Half-close: carry the FIN across; the other direction keeps flowing.
  error_code ec;
  sink(direction).shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  if (--flows_running_ == 0) stop(CloseReason::kCompleted);
}

}  // namespace meshgate::gateway

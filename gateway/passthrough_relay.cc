// PassthroughSession's relay: once connected, two RelayFlows (relay_flow.h),
// one per direction, and what the session does with what they report: it
// counts the bytes, keeps the idle deadline moving, carries a FIN across
// (half-close), and ends the connection when both directions are done or
// either side fails.

#include "gateway/passthrough_session.h"

namespace meshgate::gateway {
namespace {

using boost::system::error_code;

RelayMode relay_mode(config::SpliceMode splice) {
  switch (splice) {
    case config::SpliceMode::kAlways:
      return RelayMode::kSplice;
    case config::SpliceMode::kNever:
      return RelayMode::kCopy;
    case config::SpliceMode::kAuto:
      return RelayMode::kAuto;
  }
  return RelayMode::kAuto;
}

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
  flows_running_ = 2;
  const RelayMode mode = relay_mode(config_->passthrough.splice);
  const std::size_t buffer_bytes = config_->limits.buffer_bytes;
  from_client_.start(mode, buffer_bytes);
  if (!stopped_) from_upstream_.start(mode, buffer_bytes);
}

CloseReason PassthroughSession::reset_of(const asio::ip::tcp::socket& socket) const {
  return &socket == &client_ ? CloseReason::kClientReset : CloseReason::kUpstreamReset;
}

void PassthroughSession::on_moved(RelayFlow& flow, std::size_t bytes) {
  count_bytes(&flow == &from_client_ ? Direction::kFromClient : Direction::kFromUpstream, bytes);
}

void PassthroughSession::on_activity() {
  extend_idle_deadline();
}

void PassthroughSession::on_source_done(RelayFlow& flow) {
  if (--flows_running_ == 0) {
    // Both ends have sent their FIN and read everything: close() sends ours.
    return stop(CloseReason::kCompleted);
  }
  // Half-close: carry the FIN across; the other direction keeps flowing,
  // but no longer than timeouts.half_closed without a byte: a peer that
  // never closes its side (or vanished) must not hold the connection for
  // the whole idle timeout.
  error_code ec;
  flow.sink().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  set_deadline(std::min(deadline_, Clock::now() + idle_bound()));
}

void PassthroughSession::on_failed(RelayFlow&, asio::ip::tcp::socket& socket) {
  stop(reset_of(socket));
}

void PassthroughSession::on_splice_fallback() {
  stats_.splice_fallbacks.add();
}

void PassthroughSession::on_mode_switch(bool splicing) {
  (splicing ? stats_.turned_to_splice : stats_.turned_to_copy).add();
}

}  // namespace meshgate::gateway

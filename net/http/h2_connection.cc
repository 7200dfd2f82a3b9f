#include "net/http/h2_connection.h"

#include <string_view>
#include <utility>

namespace meshgate::net::http {

H2Connection::H2Connection(std::unique_ptr<TlsStream> stream, std::string authority,
                           std::chrono::milliseconds ping_interval)
    : stream_(std::move(stream)),
      authority_(std::move(authority)),
      ping_interval_(ping_interval),
      ping_timer_(stream_->get_executor()) {}

void H2Connection::start() {
  read();
  flush();
  arm_ping();
}

int32_t H2Connection::get(const std::string& path, const H2Session::Headers& headers,
                          ResponseSink sink) {
  if (!usable()) return -1;
  int32_t id = session_.submit_get(authority_, path, headers, std::move(sink));
  flush();
  return id;
}

void H2Connection::cancel(int32_t stream_id) {
  if (closed_) return;
  session_.cancel(stream_id);
  flush();
}

void H2Connection::close(const std::string& reason) {
  if (closed_) return;
  closed_ = true;
  ping_timer_.cancel();
  boost::system::error_code ignored;
  stream_->lowest_layer().close(ignored);
  session_.connection_lost(reason);
}

void H2Connection::read() {
  stream_->async_read_some(asio::buffer(read_buffer_), [self = shared_from_this()](
                                                           boost::system::error_code ec, size_t n) {
    if (self->closed_) return;
    if (ec) {
      self->close(ec == asio::error::eof ? "closed by the server" : ec.message());
      return;
    }
    self->receiving_ = true;
    bool ok = self->session_.receive(std::string_view(self->read_buffer_.data(), n));
    self->receiving_ = false;
    if (!ok) {
      self->close(self->session_.error());
      return;
    }
    self->flush();
    self->read();
  });
}

// Not from inside receive(): nghttp2 must not send from its own callbacks
// (a sink may cancel or start a stream there); the read handler flushes
// once receive() has returned.
void H2Connection::flush() {
  if (closed_ || receiving_) return;
  pending_ += session_.take_output();
  if (writing_ || pending_.empty()) return;
  writing_ = true;
  sending_ = std::move(pending_);
  pending_.clear();
  asio::async_write(*stream_, asio::buffer(sending_),
                    [self = shared_from_this()](boost::system::error_code ec, size_t) {
                      self->writing_ = false;
                      if (ec) {
                        self->close("write: " + ec.message());
                        return;
                      }
                      self->flush();
                    });
}

// Every interval: if the previous PING has not been answered the peer is
// gone; else send another. A busy connection pays one small frame per
// interval for this.
void H2Connection::arm_ping() {
  ping_timer_.expires_after(ping_interval_);
  ping_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || self->closed_) return;
    if (self->session_.pings_acked() < self->pings_sent_) {
      self->close("no PING answer within " + std::to_string(self->ping_interval_.count()) + " ms");
      return;
    }
    ++self->pings_sent_;
    self->session_.ping();
    self->flush();
    self->arm_ping();
  });
}

}  // namespace meshgate::net::http

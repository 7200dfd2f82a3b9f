#include "net/http/h1_request.h"

#include <utility>

namespace meshgate::net::http {

H1Request::H1Request(std::unique_ptr<TlsStream> stream, std::string request, ResponseSink sink)
    : stream_(std::move(stream)), request_(std::move(request)), sink_(std::move(sink)) {}

void H1Request::start() {
  asio::async_write(*stream_, asio::buffer(request_),
                    [self = shared_from_this()](boost::system::error_code ec, size_t) {
                      if (self->done_) return;
                      if (ec) {
                        self->finish("connection lost: write: " + ec.message());
                        return;
                      }
                      self->read();
                    });
}

void H1Request::cancel() {
  if (done_) return;
  done_ = true;
  boost::system::error_code ignored;
  stream_->lowest_layer().close(ignored);
}

void H1Request::read() {
  stream_->async_read_some(asio::buffer(read_buffer_), [self = shared_from_this()](
                                                           boost::system::error_code ec, size_t n) {
    if (self->done_) return;
    if (!ec) {
      self->on_bytes(std::string_view(self->read_buffer_.data(), n));
      if (!self->done_) self->read();
      return;
    }
    // A TLS stream ended without close_notify reports stream_truncated:
    // for a close-delimited body that is still the end of the response.
    const bool closed = ec == asio::error::eof || ec == asio::ssl::error::stream_truncated;
    if (closed && self->response_.finish() == Http1Response::Result::kDone) {
      self->finish("");
      return;
    }
    self->finish("connection lost: " + (closed ? self->response_.error() : ec.message()));
  });
}

void H1Request::on_bytes(std::string_view data) {
  auto result = response_.feed(data, [this](std::string_view body) {
    send_status();
    if (!done_ && sink_.on_data) sink_.on_data(body);
  });
  if (done_) return;  // the sink cancelled
  if (result == Http1Response::Result::kError) {
    finish("bad response: " + response_.error());
    return;
  }
  if (response_.headers_done()) send_status();
  if (result == Http1Response::Result::kDone) finish("");
}

// Once, before any body byte: the status of the final response.
void H1Request::send_status() {
  if (status_sent_ || done_) return;
  status_sent_ = true;
  if (sink_.on_status) sink_.on_status(response_.status());
}

void H1Request::finish(const std::string& error) {
  if (error.empty()) send_status();  // a response without a body has one too
  if (done_) return;                 // finished before, or the sink cancelled
  done_ = true;
  boost::system::error_code ignored;
  stream_->lowest_layer().close(ignored);
  ResponseSink sink = std::move(sink_);
  if (sink.on_close) sink.on_close(error);
}

}  // namespace meshgate::net::http

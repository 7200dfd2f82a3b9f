// One request over HTTP/1.1, on a connection of its own (as client-go does
// when the server offers no h2): writes the GET, parses the response as it
// arrives (Http1Response) and hands it to the sink. A watch keeps its
// connection for as long as it streams.
#pragma once

#include <array>
#include <memory>
#include <string>

#include "net/http/http1_response.h"
#include "net/http/response_sink.h"
#include "net/http/tls_dial.h"

namespace meshgate::net::http {

class H1Request : public std::enable_shared_from_this<H1Request> {
 public:
  // `request` is the whole request (http1_get_request()).
  H1Request(std::unique_ptr<TlsStream> stream, std::string request, ResponseSink sink);

  void start();
  // Closes the connection; the sink is not called again.
  void cancel();

 private:
  void read();
  void on_bytes(std::string_view data);
  void send_status();
  // Calls on_close once (error "" for a complete response) and closes.
  void finish(const std::string& error);

  std::unique_ptr<TlsStream> stream_;
  std::string request_;
  ResponseSink sink_;
  Http1Response response_;
  bool status_sent_ = false;
  bool done_ = false;
  std::array<char, 16 * 1024> read_buffer_{};
};

}  // namespace meshgate::net::http

// Where one HTTP response goes as it arrives, whatever carries it (an HTTP/2
// stream or an HTTP/1.1 connection). Long watches never end on their own, so
// a response is delivered piece by piece, not as one buffer.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace meshgate::net::http {

struct ResponseSink {
  // Once, when the response's status and headers have arrived.
  std::function<void(int status)> on_status;
  // Body bytes in order, transfer framing removed; any number of calls.
  std::function<void(std::string_view data)> on_data;
  // Once, last: "" when the response ended normally, else why it did not
  // ("stream reset: ...", "connection lost: ...", "timed out").
  std::function<void(const std::string& error)> on_close;
};

}  // namespace meshgate::net::http

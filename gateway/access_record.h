// What the data path tells the access log about one connection as it
// closes, and the interface it tells it through. gateway/ knows only this
// sink; the log itself (formats, queue, writer thread) is admin/'s
// (admin/access_log.h), which app/ opens and hands to the Gateway.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "base/asio.h"

namespace meshgate::gateway {

struct AccessRecord {
  std::chrono::system_clock::time_point start;  // accept time
  asio::ip::tcp::endpoint client;
  std::string_view listener;                        // "passthrough", "istiod", "webhook"
  std::string_view sni;                             // "" : none sent (or not read on this listener)
  std::string_view route;                           // cluster name; "" : not routed
  std::optional<asio::ip::tcp::endpoint> endpoint;  // the upstream, once connected
  uint64_t bytes_from_client = 0;                   // relayed to the upstream
  uint64_t bytes_from_upstream = 0;                 // relayed to the client
  std::chrono::nanoseconds duration{0};
  std::string_view reason;  // close reason, snake_case
};

// Where sessions write one record as their connection closes. Called on
// every worker thread: write() must be thread-safe, must not block and must
// not throw (it runs on the data path); the record's views live only for
// the call.
class AccessSink {
 public:
  virtual ~AccessSink() = default;
  virtual void write(const AccessRecord& record) = 0;
};

using AccessSinkPtr = std::shared_ptr<AccessSink>;

}  // namespace meshgate::gateway

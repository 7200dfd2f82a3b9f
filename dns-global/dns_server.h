// The .global DNS server: UDP and TCP on listeners.dns, CoreDNS's gRPC
// interface on listeners.dns_grpc, the c-ares forwarder, all on one DNS
// thread of their own. The zone index comes from outside (the app builds it
// from each registry snapshot) and is swapped in with set_zone().
#pragma once

#include <atomic>
#include <memory>
#include <thread>

#include "config/config.h"
#include "dns-global/forwarder.h"
#include "dns-global/grpc_endpoint.h"
#include "dns-global/rate_limiter.h"
#include "dns-global/resolve.h"
#include "dns-global/responder.h"
#include "dns-global/stats.h"
#include "dns-global/tcp_server.h"
#include "dns-global/udp_server.h"
#include "dns-global/zone.h"

namespace meshgate::dns {

// gRPC calls waiting for their answer; more fail at once, so a client
// cannot queue unbounded work on the DNS thread.
inline constexpr int kMaxGrpcInFlight = 1024;

class DnsServer {
 public:
  // Binds every socket; throws std::system_error or std::runtime_error with
  // a message naming the listener.
  explicit DnsServer(const config::Config& config);
  ~DnsServer();  // stop()
  DnsServer(const DnsServer&) = delete;
  DnsServer& operator=(const DnsServer&) = delete;

  void start();  // the DNS thread
  // Closes every socket, fails pending forwards, joins the thread. Idempotent.
  void stop();
  // Any thread; the zone is swapped on the DNS thread.
  void set_zone(ZoneIndexPtr zone);

  asio::ip::udp::endpoint udp_endpoint() const { return udp_->local_endpoint(); }
  asio::ip::tcp::endpoint tcp_endpoint() const { return tcp_->local_endpoint(); }
  uint16_t grpc_port() const { return grpc_ ? grpc_->port() : 0; }  // 0: not served
  DnsStatsSnapshot stats() const;

 private:
  void bind_udp_and_tcp(const asio::ip::address& address, uint16_t port, const config::Dns& dns,
                        const Resolve& resolve);
  void resolve(std::span<const uint8_t> query, const Client& client, Done done);
  // dns.rate_limit on a UDP answer about to be given: false when the
  // limiter took it (dropped, or `done` was given the truncated slip).
  bool admit(const Decision& decision, const Client& client,
             std::chrono::steady_clock::time_point now, Done& done);
  void forward(Decision decision, Done done, std::chrono::steady_clock::time_point start);
  // Counts an answer about to be sent; `rcode` in full (BADVERS needs OPT).
  void finish(const std::vector<uint8_t>& answer, uint16_t qtype, uint16_t rcode,
              std::chrono::steady_clock::time_point start);
  // `port`: the DNS listener's port, as configured or as bound (port 0).
  void refuse_forwarding_to_self(const config::Listener& dns, uint16_t port) const;
  void on_grpc(std::vector<uint8_t> query, std::optional<base::IpAddress> peer,
               GrpcEndpoint::Reply reply);

  asio::io_context io_{1};
  Responder responder_;
  RateLimiter limiter_;  // DNS thread only
  DnsStats stats_;
  ZoneIndexPtr zone_;  // DNS thread only
  std::atomic<uint64_t> zone_version_{0};
  std::atomic<uint64_t> zone_names_{0};
  std::atomic<int> grpc_in_flight_{0};
  std::unique_ptr<Forwarder> forwarder_;  // null: forwarding off
  std::unique_ptr<UdpServer> udp_;
  std::unique_ptr<TcpServer> tcp_;
  std::unique_ptr<GrpcEndpoint> grpc_;
  std::thread thread_;
  bool stopped_ = false;
};

}  // namespace meshgate::dns

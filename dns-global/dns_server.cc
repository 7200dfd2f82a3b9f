// The DNS server: front ends, answer logic and forwarder on one thread.
#include "dns-global/dns_server.h"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>

#include <cstring>

#include "base/cidr.h"
#include "dns-global/reader.h"

namespace meshgate::dns {
namespace {

asio::ip::address listener_address(const config::Listener& listener) {
  return asio::ip::make_address(listener.address);
}

// One of this host's interface addresses.
bool is_local(const base::IpAddress& address) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return false;
  bool found = false;
  for (const ifaddrs* entry = list; entry != nullptr && !found; entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr) continue;
    base::IpAddress mine;
    if (entry->ifa_addr->sa_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(entry->ifa_addr);
      std::memcpy(mine.bytes.data(), &in->sin_addr, 4);
    } else if (entry->ifa_addr->sa_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(entry->ifa_addr);
      mine.v6 = true;
      std::memcpy(mine.bytes.data(), &in6->sin6_addr, 16);
    } else {
      continue;
    }
    found = mine == address;
  }
  freeifaddrs(list);
  return found;
}

ForwardResult result_of(ForwardStatus status) {
  switch (status) {
    case ForwardStatus::kAnswered:
      return ForwardResult::kAnswered;
    case ForwardStatus::kFailed:
      return ForwardResult::kFailed;
    case ForwardStatus::kOverload:
      return ForwardResult::kOverload;
    case ForwardStatus::kStopped:
      return ForwardResult::kStopped;
  }
  return ForwardResult::kFailed;
}

}  // namespace

DnsServer::DnsServer(const config::Config& config)
    : responder_(config.dns), limiter_(config.dns.rate_limit) {
  const config::Listener& dns = config.listeners.dns;
  const asio::ip::address address = listener_address(dns);
  Resolve resolve = [this](std::span<const uint8_t> query, const Client& client, Done done) {
    this->resolve(query, client, std::move(done));
  };
  if (config.dns.forward.enabled) forwarder_ = std::make_unique<Forwarder>(io_, config.dns.forward);
  // A fixed port is checked before anything binds it; port 0 once bound.
  if (forwarder_ && dns.port != 0) refuse_forwarding_to_self(dns, dns.port);
  bind_udp_and_tcp(address, dns.port, config.dns, resolve);
  if (forwarder_ && dns.port == 0) refuse_forwarding_to_self(dns, udp_->local_endpoint().port());
  if (config.dns.grpc) {
    const config::Listener& grpc = config.listeners.dns_grpc;
    grpc_ = std::make_unique<GrpcEndpoint>(
        grpc.address, grpc.port,
        [this](std::vector<uint8_t> query, std::optional<base::IpAddress> peer,
               GrpcEndpoint::Reply reply) { on_grpc(std::move(query), peer, std::move(reply)); });
  }
}

// Port 0 (tests): TCP takes the port UDP was given, as clients expect both on
// one; if that TCP port is taken, both try another.
void DnsServer::bind_udp_and_tcp(const asio::ip::address& address, uint16_t port,
                                 const config::Dns& dns, const Resolve& resolve) {
  constexpr int kAttempts = 16;
  for (int attempt = 1;; ++attempt) {
    udp_ =
        std::make_unique<UdpServer>(io_, asio::ip::udp::endpoint(address, port), resolve, stats_);
    const asio::ip::tcp::endpoint tcp(address, udp_->local_endpoint().port());
    try {
      tcp_ = std::make_unique<TcpServer>(io_, tcp, resolve, stats_, dns.tcp_idle,
                                         dns.max_tcp_connections);
      return;
    } catch (const boost::system::system_error& e) {
      if (port != 0 || attempt == kAttempts || e.code() != asio::error::address_in_use) throw;
      udp_.reset();
    }
  }
}

DnsServer::~DnsServer() {
  stop();
}

void DnsServer::start() {
  udp_->start();
  tcp_->start();
  thread_ = std::thread([this] {
    auto work = asio::make_work_guard(io_);
    io_.run();
  });
}

void DnsServer::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (grpc_) grpc_->stop();
  asio::post(io_, [this] {
    udp_->stop();
    tcp_->stop();
    if (forwarder_) forwarder_->stop();
    // After the callbacks stop() just queued.
    asio::post(io_, [this] { io_.stop(); });
  });
  if (thread_.joinable()) {
    thread_.join();
  } else {
    io_.stop();
  }
}

void DnsServer::set_zone(ZoneIndexPtr zone) {
  zone_version_.store(zone ? zone->version() : 0, std::memory_order_relaxed);
  zone_names_.store(zone ? zone->host_count() : 0, std::memory_order_relaxed);
  asio::post(io_, [this, zone = std::move(zone)]() mutable { zone_ = std::move(zone); });
}

DnsStatsSnapshot DnsServer::stats() const {
  DnsStatsSnapshot out = snapshot_of(stats_);
  out.zone_version = zone_version_.load(std::memory_order_relaxed);
  out.zone_names = zone_names_.load(std::memory_order_relaxed);
  return out;
}

void DnsServer::resolve(std::span<const uint8_t> query, const Client& client, Done done) {
  const auto start = std::chrono::steady_clock::now();
  Decision decision =
      responder_.respond(query, zone_.get(), client, std::chrono::system_clock::now());
  if (decision.malformed) stats_.malformed.add();
  if (decision.refused) stats_.refused.add();
  if (decision.tsig) stats_.not_authorized[static_cast<std::size_t>(NotAuthReason::kTsig)].add();
  if (decision.kind != Decision::Kind::kDrop && !admit(decision, client, start, done)) return;
  switch (decision.kind) {
    case Decision::Kind::kDrop:
      stats_.dropped[static_cast<std::size_t>(decision.drop)].add();
      done(std::nullopt);
      return;
    case Decision::Kind::kAnswer:
      finish(decision.answer, decision.qtype, decision.rcode, start);
      done(std::move(decision.answer));
      return;
    case Decision::Kind::kForward:
      forward(std::move(decision), std::move(done), start);
      return;
  }
}

// Forwarded queries are limited before they go upstream: a dropped one
// costs the upstream nothing either.
bool DnsServer::admit(const Decision& decision, const Client& client,
                      std::chrono::steady_clock::time_point now, Done& done) {
  if (client.transport != Transport::kUdp || !client.address || !limiter_.enabled()) return true;
  switch (limiter_.admit(*client.address, now)) {
    case RateLimiter::Verdict::kAnswer:
      return true;
    case RateLimiter::Verdict::kDrop:
      stats_.rate_limited[static_cast<std::size_t>(RateLimitAction::kDropped)].add();
      done(std::nullopt);
      return false;
    case RateLimiter::Verdict::kSlip:
      stats_.rate_limited[static_cast<std::size_t>(RateLimitAction::kSlipped)].add();
      done(responder_.slip(decision));
      return false;
  }
  return true;
}

void DnsServer::forward(Decision decision, Done done, std::chrono::steady_clock::time_point start) {
  auto pending = std::make_shared<Decision>(std::move(decision));
  forwarder_->forward(
      pending->upstream_query, [this, pending, done = std::move(done), start](
                                   ForwardStatus status, std::vector<uint8_t> response) {
        stats_.forwarded[static_cast<std::size_t>(result_of(status))].add();
        std::vector<uint8_t> answer = status == ForwardStatus::kAnswered
                                          ? responder_.forwarded_answer(*pending, response)
                                          : responder_.servfail(*pending);
        const std::optional<Header> header = read_header(answer);
        finish(answer, pending->qtype, header ? header->rcode : rcode::kServFail, start);
        done(std::move(answer));
      });
}

void DnsServer::finish(const std::vector<uint8_t>& answer, uint16_t qtype, uint16_t rcode,
                       std::chrono::steady_clock::time_point start) {
  stats_.answered(qtype, rcode);
  const std::optional<Header> header = read_header(answer);
  if (header && header->tc) stats_.truncated.add();
  stats_.latency.observe(std::chrono::steady_clock::now() - start);
}

void DnsServer::on_grpc(std::vector<uint8_t> query, std::optional<base::IpAddress> peer,
                        GrpcEndpoint::Reply reply) {
  if (grpc_in_flight_.fetch_add(1, std::memory_order_relaxed) >= kMaxGrpcInFlight) {
    grpc_in_flight_.fetch_sub(1, std::memory_order_relaxed);
    asio::post(io_,
               [this] { stats_.dropped[static_cast<std::size_t>(DropReason::kOverload)].add(); });
    reply({});
    return;
  }
  asio::post(io_, [this, query = std::move(query), peer, reply = std::move(reply)]() mutable {
    stats_.queries[static_cast<std::size_t>(Transport::kGrpc)].add();
    resolve(query, Client{peer, Transport::kGrpc},
            [this, reply = std::move(reply)](std::optional<std::vector<uint8_t>> answer) {
              grpc_in_flight_.fetch_sub(1, std::memory_order_relaxed);
              reply(answer ? std::move(*answer) : std::vector<uint8_t>{});
            });
  });
}

// An upstream that is this server would send every forwarded query back to
// itself, from an address allowed to recurse: one query would fill every
// forwarding slot. "This server": our port, and loopback, our listener's
// address, or (on a wildcard listener) any address of this host.
void DnsServer::refuse_forwarding_to_self(const config::Listener& dns, uint16_t port) const {
  const auto listener = base::parse_ip(dns.address);
  for (const std::string& server : forwarder_->servers()) {
    const auto upstream = base::parse_ip_port(server, 53);
    if (!upstream || upstream->port != port) continue;
    const auto address = upstream->address;
    const bool self =
        asio::ip::make_address(base::to_string(address)).is_loopback() ||
        (listener && (*listener == address || (listener->is_wildcard() && is_local(address))));
    if (self) {
      throw std::runtime_error("dns.forward: upstream " + server +
                               " is this server itself; forwarding would loop (set "
                               "dns.forward.upstreams, or dns.forward.enabled: false)");
    }
  }
}

}  // namespace meshgate::dns

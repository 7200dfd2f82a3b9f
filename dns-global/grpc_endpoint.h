// CoreDNS's gRPC DNS interface, coredns.dns.DnsService/Query: one message,
// DnsPacket { bytes msg = 1; }, carrying a raw DNS message each way. This is
// what istiocoredns offered, so a Corefile line `grpc global 127.0.0.1:8053`
// works unchanged against meshgate. The proto (dns.proto) is written from the
// public definition.
//
// The endpoint runs gRPC's callback API on gRPC's own threads and hands each
// query to `Handler`, which may answer later from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/ip.h"

namespace meshgate::dns {

class GrpcEndpoint {
 public:
  // Called once per query with the message and the client's address (when
  // gRPC's peer string names an IP). `reply` must be called exactly once,
  // from any thread: with a DNS message, or empty to fail the call with
  // INVALID_ARGUMENT (a query that deserves no answer).
  using Reply = std::function<void(std::vector<uint8_t> answer)>;
  using Handler = std::function<void(std::vector<uint8_t> query,
                                     std::optional<base::IpAddress> peer, Reply reply)>;

  // Binds `address`:`port` (port 0 picks one), insecure credentials, at most
  // 64 KiB per message. Throws std::runtime_error if it cannot bind.
  GrpcEndpoint(const std::string& address, uint16_t port, Handler handler);
  ~GrpcEndpoint();  // stop()
  GrpcEndpoint(const GrpcEndpoint&) = delete;
  GrpcEndpoint& operator=(const GrpcEndpoint&) = delete;

  uint16_t port() const;  // the bound port
  // Stops accepting, cancels calls still waiting for a reply (after a short
  // grace period) and waits for gRPC's threads. Idempotent.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A blocking client for tests and tools: one Query call. Returns the answer,
// or nothing (with `error` set) if the call failed.
std::optional<std::vector<uint8_t>> grpc_query(const std::string& target,
                                               const std::vector<uint8_t>& query,
                                               std::string* error, int timeout_ms = 2000);

}  // namespace meshgate::dns

// meshgate's configuration: plain, immutable structs. Built once by the loader
// (config/loader.h), validated, then shared by pointer. No YAML type appears here.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace meshgate::config {

using Duration = std::chrono::milliseconds;

struct Listener {
  std::string address;  // an IPv4 or IPv6 literal; "0.0.0.0" / "::" for all
  uint16_t port = 0;    // 0 picks an ephemeral port (tests)
};

struct Listeners {
  Listener passthrough{"0.0.0.0", 15443};  // TLS passthrough by SNI
  Listener istiod{"0.0.0.0", 15012};       // istiod xDS + CA for VMs
  Listener webhook{"0.0.0.0", 15017};      // istiod webhook
  Listener dns{"0.0.0.0", 15053};          // .global DNS, UDP and TCP
  Listener health{"0.0.0.0", 15021};       // /healthz/ready
  Listener metrics{"0.0.0.0", 15090};      // /stats/prometheus
  Listener admin{"127.0.0.1", 15000};      // config dump; localhost only by default
};

enum class LoadBalancing { kRoundRobin, kLeastConnections };

struct Passthrough {
  bool require_istio_alpn = true;      // as Istio's gateway on 15443
  bool require_mtls_endpoints = true;  // only endpoints with tlsMode istio
  LoadBalancing load_balancing = LoadBalancing::kRoundRobin;
  uint32_t connect_attempts = 3;  // endpoints tried per connection, 1..16
};

struct FileSource {
  std::string path;
  Duration poll_interval{1000};
};

struct Discovery {
  std::vector<FileSource> files;
};

struct Timeouts {
  Duration client_hello{10'000};
  Duration connect{5'000};
  Duration idle{3'600'000};
  Duration drain{30'000};
};

struct Limits {
  uint32_t max_client_hello_bytes = 64 * 1024;
  uint32_t max_connections = 65'536;
  uint32_t buffer_bytes = 16 * 1024;  // per direction of a connection
};

struct Config {
  std::string network = "network1";  // this gateway's topology.istio.io/network
  std::string cluster_domain = "cluster.local";
  Listeners listeners;
  Discovery discovery;  // default: the demo registry (see default_config())
  Passthrough passthrough;
  Timeouts timeouts;
  Limits limits;
  uint32_t workers = 0;  // 0: one per core
};

// The embedded default: every key at its default, file discovery of the demo
// registry shipped with the project.
Config default_config();

// The registry file the embedded default reads.
const char* demo_registry_path();

}  // namespace meshgate::config

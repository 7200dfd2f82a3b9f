// meshgate's configuration: plain, immutable structs. Built once by the loader
// (config/loader.h), validated, then shared by pointer. No YAML type appears here.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace meshgate::config {

using Duration = std::chrono::milliseconds;

struct Listener {
  std::string address;  // an IPv4 or IPv6 literal; "0.0.0.0" / "::" for all
  uint16_t port = 0;    // 0 picks an ephemeral port (tests)
  bool operator==(const Listener&) const = default;
};

struct Listeners {
  Listener passthrough{"0.0.0.0", 15443};  // TLS passthrough by SNI
  Listener istiod{"0.0.0.0", 15012};       // istiod xDS + CA for VMs
  Listener webhook{"0.0.0.0", 15017};      // istiod webhook
  Listener dns{"0.0.0.0", 15053};          // .global DNS, UDP and TCP
  Listener dns_grpc{"127.0.0.1", 8053};    // CoreDNS's DnsService/Query, for `grpc global ...`
  Listener health{"0.0.0.0", 15021};       // /healthz/ready
  Listener metrics{"0.0.0.0", 15090};      // /stats/prometheus
  Listener admin{"127.0.0.1", 15000};      // config dump; localhost only by default
};

enum class LoadBalancing { kRoundRobin, kLeastConnections };

// How a relayed connection's bytes move: kAlways splices (through a pipe,
// never copied into the gateway), kNever copies through the worker's
// buffer, kAuto copies while reads are small and splices while they fill
// the buffer (gateway/relay_flow.h).
enum class SpliceMode { kAuto, kAlways, kNever };

struct Passthrough {
  bool require_istio_alpn = true;      // as Istio's gateway on 15443
  bool require_mtls_endpoints = true;  // only endpoints with tlsMode istio
  LoadBalancing load_balancing = LoadBalancing::kRoundRobin;
  uint32_t connect_attempts = 3;  // endpoints tried per connection, 1..16
  SpliceMode splice = SpliceMode::kAuto;
  // Endpoints on loopback, link-local or unspecified addresses are dialled
  // only with this (the demo's backends live on 127.0.0.1).
  bool allow_loopback_endpoints = false;
};

// TCP keepalive on both sockets of every relayed connection (SO_KEEPALIVE,
// TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT): a peer that vanished without a
// FIN or RST is found after idle + interval x probes.
struct TcpKeepalive {
  bool enabled = true;
  Duration idle{300'000};
  Duration interval{30'000};
  uint32_t probes = 3;
  bool operator==(const TcpKeepalive&) const = default;
};

struct FileSource {
  std::string path;
  Duration poll_interval{1000};
  bool operator==(const FileSource&) const = default;
};

// Discovery from the Kubernetes API (discovery/kubernetes/README.md).
struct KubernetesSource {
  bool enabled = false;
  std::string kubeconfig;  // "" : in a pod, its service account
  // Hosts exported through the gateway, as Istio's expose-services.yaml: an
  // exact host or "*.<suffix>".
  std::vector<std::string> export_hosts{"*.local"};
  // The gateway's pod labels (e.g. istio: eastwestgateway). Not empty: the
  // Gateway resources selecting them (tls.mode AUTO_PASSTHROUGH on the
  // passthrough port) decide the exported hosts instead of export_hosts, as
  // istiod's do; Gateways are then watched too.
  std::map<std::string, std::string> gateway_selector;
  // The port number those Gateway servers name: the gateway Service's port
  // in front of listeners.passthrough (istiod matches the Service port).
  uint16_t gateway_port = 15443;
  std::string gateway_namespace = "istio-system";  // where this gateway runs (exportTo)
  std::string system_namespace = "istio-system";   // istiod's, the mesh root namespace
  std::string cluster_id = "Kubernetes";           // istiod's CLUSTER_ID (endpoint labels)
  std::vector<std::string> include_namespaces;     // empty: every namespace
  std::vector<std::string> exclude_namespaces;
  bool istio_resources = true;  // also watch ServiceEntries, WorkloadEntries, DestinationRules
  Duration coalesce{100};       // a burst of changes makes one snapshot within this
  bool operator==(const KubernetesSource&) const = default;
};

// Discovery from istiod over xDS (discovery/xds/README.md): the routes istiod
// decides for this gateway, as it would push them to Istio's east-west
// gateway. The pod's identity (pod_*) is read from POD_NAME, POD_NAMESPACE
// and INSTANCE_IP (the downward API) when not written here.
struct XdsSource {
  bool enabled = false;
  std::string address = "istiod.istio-system.svc:15012";  // host:port
  // The name istiod's certificate is checked against; "": the address's host.
  std::string server_name;
  std::string root_cert = "/var/run/secrets/istio/root-cert.pem";
  // The projected service-account token (audience istio-ca); "": none.
  std::string token_file = "/var/run/secrets/tokens/istio-token";
  std::string cluster_id = "Kubernetes";  // istiod's CLUSTER_ID, and the clusterid metadata
  std::string mesh_id;
  std::string istio_version;  // istiod's version, as its injector writes ISTIO_VERSION
  std::string pod_name;
  std::string pod_namespace;
  std::string pod_ip;
  std::string service_account;  // "": not sent (istiod checks the namespace only)
  // The pod's labels, which select Istio Gateway resources.
  std::map<std::string, std::string> labels{{"istio", "eastwestgateway"},
                                            {"app", "istio-eastwestgateway"}};
  std::vector<std::string> requested_network_view;  // empty: the gateway's network
  // The container ports of istiod's listeners for this gateway: the
  // AUTO_PASSTHROUGH server's (routes by SNI), and expose-istiod's two.
  uint16_t passthrough_port = 15443;
  uint16_t istiod_port = 15012;
  uint16_t webhook_port = 15017;
  // The DNS servers that resolve STRICT_DNS and LOGICAL_DNS clusters' host
  // names, "ip[:port]"; empty: those of /etc/resolv.conf.
  std::vector<std::string> resolvers;
  bool operator==(const XdsSource&) const = default;
};

struct Discovery {
  std::vector<FileSource> files;
  KubernetesSource kubernetes;
  XdsSource xds;
  bool operator==(const Discovery&) const = default;
};

struct Timeouts {
  Duration client_hello{10'000};  // on 15012 and 15017 too: the first bytes
  Duration connect{5'000};
  // After the ClientHello went to an endpoint, the time for its first byte
  // back; past it the attempt failed and the next endpoint gets the hello.
  // 0: wait for ever (as the idle timeout allows).
  Duration upstream_first_byte{5'000};
  Duration idle{3'600'000};
  // Once one direction has ended (a FIN carried across), the other must move
  // a byte at least this often: a half-closed connection cannot wait for the
  // idle timeout. 0: no bound but timeouts.idle.
  Duration half_closed{60'000};
  Duration drain_delay{5'000};  // SIGTERM: readiness fails at once, accepting stops after this
  Duration drain{30'000};       // then open connections have this long to finish
};

// A service named by host and port: looked up in the registry (a service
// whose hostname is `host`, or `host` + "." + cluster_domain), else resolved
// by DNS.
struct Upstream {
  std::string host;
  uint16_t port = 0;
};

// Where the istiod ports relay to, as Istio's expose-istiod.yaml does.
struct Istiod {
  Upstream xds{"istiod.istio-system.svc", 15012};    // listeners.istiod
  Upstream webhook{"istiod.istio-system.svc", 443};  // listeners.webhook
  Duration dns_refresh{5'000};  // re-resolve by DNS this often when not in the registry
};

enum class AccessLogFormat { kText, kJson };

struct AccessLog {
  bool enabled = true;
  AccessLogFormat format = AccessLogFormat::kText;
  std::string path;  // empty: standard output
  bool operator==(const AccessLog&) const = default;
};

// Outlier ejection: an endpoint whose connects fail `consecutive_failures`
// times in a row is skipped for base_ejection x (times ejected), at most
// max_ejection. The last usable endpoint of a cluster is never skipped.
struct Outlier {
  uint32_t consecutive_failures = 5;  // 0 turns ejection off
  Duration base_ejection{30'000};
  Duration max_ejection{300'000};
  bool operator==(const Outlier&) const = default;
};

// What a DNS zone answers for its names.
enum class DnsAnswer {
  kVip,      // the name's own addresses, else a VIP from dns.vip_ranges
  kGateway,  // the zone's `addresses`: this gateway, as the network's entry point
};

struct DnsZone {
  std::string name = "global";  // lower case, no trailing dot
  DnsAnswer answer = DnsAnswer::kVip;
  // This gateway's advertised addresses (its LoadBalancer IPs): the answer
  // in gateway mode, and the address of the zone's name server in both.
  std::vector<std::string> addresses;
  bool services = true;  // <name>.<namespace>.<zone> for every registry service
  bool operator==(const DnsZone&) const = default;
};

// Names outside every zone, sent on to upstream resolvers with c-ares.
struct DnsForward {
  bool enabled = true;
  // "10.0.0.10", "10.0.0.10:5353", "[fd00::10]:53"; empty: /etc/resolv.conf.
  std::vector<std::string> upstreams;
  Duration timeout{2'000};  // per attempt
  uint32_t attempts = 2;
  // Only these clients may have names forwarded; everyone else is REFUSED.
  std::vector<std::string> allowed_clients{"127.0.0.0/8",    "::1/128",        "10.0.0.0/8",
                                           "172.16.0.0/12",  "192.168.0.0/16", "fc00::/7",
                                           "169.254.0.0/16", "fe80::/10"};
  bool operator==(const DnsForward&) const = default;
};

// Response rate limiting of UDP answers per client prefix (RRL), off while
// responses_per_second is 0. See dns-global/rate_limiter.h.
struct DnsRateLimit {
  uint32_t responses_per_second = 0;  // per prefix; 0: off
  uint32_t burst = 0;                 // answers a quiet prefix may get at once; 0: one second's
  uint32_t slip = 2;  // every slip-th answer over the limit goes out truncated; 0: all dropped
  uint32_t ipv4_prefix_length = 24;
  uint32_t ipv6_prefix_length = 56;
  uint32_t max_tracked_prefixes = 65'536;  // when full, the least recently seen is forgotten
  bool operator==(const DnsRateLimit&) const = default;
};

struct Dns {
  bool enabled = true;  // listeners.dns (UDP and TCP) and listeners.dns_grpc
  std::vector<DnsZone> zones{DnsZone{}};
  Duration ttl{30'000};
  Duration negative_ttl{30'000};  // NXDOMAIN and NODATA, and the SOA minimum
  // Where names without addresses get their VIPs (at most one per family),
  // as Istio's auto-allocation does.
  std::vector<std::string> vip_ranges{"240.240.0.0/16", "2001:2::/48"};
  DnsForward forward;
  Duration tcp_idle{10'000};  // a TCP connection with no query for this long is closed
  uint32_t max_tcp_connections = 256;
  bool grpc = true;  // serve listeners.dns_grpc
  DnsRateLimit rate_limit;
  bool operator==(const Dns&) const = default;
};

struct Reload {
  Duration poll_interval{1'000};  // how often the config file is checked; 0s: only on SIGHUP
};

struct Limits {
  uint32_t max_client_hello_bytes = 64 * 1024;
  uint32_t max_connections = 65'536;  // also capped by the descriptors the process may open
  // Open connections from one IPv4 address or IPv6 /64 on the TCP
  // listeners; 0: no cap (behind a load balancer that hides client addresses
  // every client would share one).
  uint32_t max_connections_per_client = 0;
  uint32_t buffer_bytes = 64 * 1024;  // per direction of a connection
};

// The health, metrics and admin servers; each server has these limits.
// When a new connection would go over a cap, the connection that has gone
// longest without finishing a request is closed to make room.
struct Http {
  Duration request_timeout{3'000};  // accept (or a request's first byte) to its end
  Duration idle_timeout{30'000};    // keep-alive wait for the next request
  uint32_t max_connections = 512;
  uint32_t max_connections_per_client = 8;  // per IPv4 address or IPv6 /64; 0: no cap
  bool operator==(const Http&) const = default;
};

struct Config {
  std::string network = "network1";  // this gateway's topology.istio.io/network
  std::string cluster_domain = "cluster.local";
  Listeners listeners;
  Discovery discovery;  // no sources; the embedded default has the demo registry
  Passthrough passthrough;
  TcpKeepalive tcp_keepalive;
  Timeouts timeouts;
  Limits limits;
  Http http;
  Istiod istiod;
  AccessLog access_log;
  Outlier outlier;
  Reload reload;
  Dns dns;
  uint32_t workers = 0;  // 0: one per core
};

// The embedded default, which runs the demo: every key at its default, but
// file discovery of the demo registry shipped with the project and loopback
// endpoints allowed (the demo's backends listen on 127.0.0.1).
Config default_config();

// The registry file the embedded default reads.
const char* demo_registry_path();

}  // namespace meshgate::config

// meshgate-test-istiod: the stand-in istiod (fake_istiod.h) as a process, for
// tests written in shell (the multi-network test runs the real gateway
// binary against it). A real gRPC ADS server over TLS on 127.0.0.1 port 0
// that accepts one bearer token and, on every stream it accepts, pushes the
// resources istiod would send an east-west gateway for the routes given:
//
//   meshgate-test-istiod --token TOKEN --out DIR [--lifetime SECONDS]
//       [--passthrough SNI=IP:PORT[,IP:PORT...]]...
//       [--catch-all LISTENER_PORT/CLUSTER=IP:PORT[,IP:PORT...]]...
//
// --passthrough: an AUTO_PASSTHROUGH chain on 15443 for SNI (an outbound_
// name), its EDS cluster of the same name, endpoints with tlsMode istio.
// --catch-all: expose-istiod's chain on LISTENER_PORT, tcp_proxy to CLUSTER
// (outbound|PORT||HOST), endpoints without a sidecar.
// DIR/root-cert.pem (the CA istiod's certificate for istiod.istio-system.svc
// chains to) and DIR/address ("127.0.0.1:PORT") appear whole before
// "serving" is printed. Exit 0 on SIGTERM, SIGINT or the end of the lifetime
// (default 300 s); 1 on failure; 2 on a usage error.
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "discovery/xds/resources.h"
#include "tests/support/fake_istiod.h"
#include "tests/support/process_main.h"
#include "tests/unit/discovery/xds/xds_builders.h"

namespace {

namespace fs = std::filesystem;
namespace xds = meshgate::discovery::xds;
using Endpoints = std::vector<std::pair<std::string, uint32_t>>;

struct Route {
  uint16_t listener = 15443;
  std::string name;  // the SNI (passthrough) or the cluster (catch-all)
  Endpoints endpoints;
  bool mtls = true;
};

struct Args {
  std::string token;
  fs::path out;
  long lifetime_seconds = 300;
  std::vector<Route> routes;
};

std::optional<uint32_t> number(std::string_view text, uint32_t max) {
  uint32_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value == 0 || value > max) {
    return std::nullopt;
  }
  return value;
}

// "IP:PORT[,IP:PORT...]"
std::optional<Endpoints> endpoints(std::string_view text) {
  Endpoints out;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view one = text.substr(0, comma);
    const size_t colon = one.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    const auto port = number(one.substr(colon + 1), 65535);
    if (!port) return std::nullopt;
    out.emplace_back(std::string(one.substr(0, colon)), *port);
    text = comma == std::string_view::npos ? "" : text.substr(comma + 1);
  }
  if (out.empty()) return std::nullopt;
  return out;
}

// "NAME=ENDPOINTS", or with `listener_first` "PORT/NAME=ENDPOINTS".
std::optional<Route> route(std::string_view text, bool listener_first) {
  Route out;
  if (listener_first) {
    const size_t slash = text.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    const auto port = number(text.substr(0, slash), 65535);
    if (!port) return std::nullopt;
    out.listener = static_cast<uint16_t>(*port);
    out.mtls = false;
    text.remove_prefix(slash + 1);
  }
  const size_t equals = text.find('=');
  if (equals == std::string_view::npos || equals == 0) return std::nullopt;
  out.name = std::string(text.substr(0, equals));
  auto parsed = endpoints(text.substr(equals + 1));
  if (!parsed) return std::nullopt;
  out.endpoints = std::move(*parsed);
  return out;
}

std::optional<Args> parse_args(int argc, char** argv) {
  Args args;
  const bool ok = meshgate::testing::process::for_each_flag(
      argc, argv, [&](const std::string& name, const std::string& value) {
        if (name == "--token") {
          args.token = value;
        } else if (name == "--out") {
          args.out = value;
        } else if (name == "--lifetime") {
          args.lifetime_seconds = meshgate::testing::process::lifetime_seconds(value);
        } else if (name == "--passthrough" || name == "--catch-all") {
          auto parsed = route(value, name == "--catch-all");
          if (!parsed) return false;
          args.routes.push_back(std::move(*parsed));
        } else {
          return false;
        }
        return true;
      });
  if (!ok || args.token.empty() || args.out.empty() || args.routes.empty() ||
      args.lifetime_seconds == 0) {
    return std::nullopt;
  }
  return args;
}

using envoy::config::cluster::v3::Cluster;
using envoy::config::endpoint::v3::ClusterLoadAssignment;
using envoy::config::listener::v3::FilterChain;
using envoy::config::listener::v3::Listener;

// The three pushes istiod would make for `routes`: CDS, LDS, then EDS.
bool push_all(meshgate::testing::FakeIstiod& istiod, const std::vector<Route>& routes,
              const std::string& version) {
  std::vector<Cluster> clusters;
  std::vector<ClusterLoadAssignment> assignments;
  std::map<uint16_t, std::vector<FilterChain>> chains;
  for (const Route& r : routes) {
    clusters.push_back(xds::testing::eds_cluster(r.name));
    ClusterLoadAssignment endpoints = xds::testing::assignment(r.name, {});
    for (const auto& [ip, port] : r.endpoints)
      xds::testing::add_endpoint(*endpoints.mutable_endpoints(0), ip, port, r.mtls);
    assignments.push_back(std::move(endpoints));
    FilterChain chain;
    if (r.listener == 15443) {
      chain = xds::testing::passthrough_chain(r.name);
    } else {
      *chain.add_filters() = xds::testing::tcp_proxy_filter(r.name);
    }
    chains[r.listener].push_back(std::move(chain));
  }
  std::vector<Listener> listeners;
  for (const auto& [port, list] : chains)
    listeners.push_back(xds::testing::listener(port, list));
  using xds::testing::response;
  return istiod.push(response(xds::kClusterType, version, "c" + version, clusters)) &&
         istiod.push(response(xds::kListenerType, version, "l" + version, listeners)) &&
         istiod.push(response(xds::kLoadAssignmentType, version, "e" + version, assignments));
}

}  // namespace

int main(int argc, char** argv) {
  const std::optional<Args> args = parse_args(argc, argv);
  if (!args) {
    std::fprintf(stderr,
                 "usage: meshgate-test-istiod --token TOKEN --out DIR [--lifetime SECONDS "
                 "(1..3600)] [--passthrough SNI=IP:PORT[,...]]... "
                 "[--catch-all LISTENER_PORT/CLUSTER=IP:PORT[,...]]...\n");
    return 2;
  }
  meshgate::testing::process::block_stop_signals();
  try {
    meshgate::testing::FakeIstiod istiod(args->token);
    fs::create_directories(args->out);
    namespace process = meshgate::testing::process;
    if (!process::write_atomically(args->out / "root-cert.pem", istiod.root_pem()) ||
        !process::write_atomically(args->out / "address", istiod.address())) {
      std::fprintf(stderr, "meshgate-test-istiod: cannot write to %s\n", args->out.c_str());
      return 1;
    }
    std::printf("meshgate-test-istiod: serving %s\n", istiod.address().c_str());
    std::fflush(stdout);
    // Every stream it accepts (a gateway started, or back after a drop)
    // gets the whole state again, as istiod's first push on a stream.
    size_t served = 0;
    process::run_until_stopped(
        std::chrono::seconds(args->lifetime_seconds), std::chrono::milliseconds(20), [&] {
          const size_t streams = istiod.streams();
          if (streams == served) return;
          served = streams;
          if (!push_all(istiod, args->routes, std::to_string(served))) {
            std::fprintf(stderr, "meshgate-test-istiod: push on stream %zu failed\n", served);
          } else {
            std::printf("meshgate-test-istiod: pushed on stream %zu\n", served);
            std::fflush(stdout);
          }
        });
  } catch (const std::exception& e) {
    std::fprintf(stderr, "meshgate-test-istiod: %s\n", e.what());
    return 1;
  }
  return 0;
}

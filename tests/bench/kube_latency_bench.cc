// Benchmark: the time from an EndpointSlice change on the API server to an
// endpoint the gateway routes to.
//
// A stand-in API server (TLS, HTTP/2) holds a namespace with `--services`
// Services, each with one EndpointSlice; a KubernetesSource watches it into
// a Registry that feeds a running gateway::Gateway (two workers). Each
// iteration adds an endpoint to one slice and measures, from the moment the
// API server stored the change:
//   registry: the registry published a snapshot holding the endpoint;
//   routable: the gateway's route table is built from that snapshot.
// Once with the default coalescing window (100 ms) and once with none, so
// the table shows what the window costs and what the rest of the path does.
//
//   kube_latency_bench [--services N] [--endpoints-per-service E] [--iterations I]
//   kube_latency_bench --smoke   # 20 services, 5 iterations (ctest)
#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/spdlog.h>

#include "deploy/demo/pki.h"
#include "discovery/kubernetes/kube_source.h"
#include "gateway/gateway.h"
#include "tests/support/harness.h"
#include "tests/support/kube_apiserver.h"
#include "tests/support/kube_manifests.h"

namespace {

namespace mg = meshgate;
namespace k = meshgate::testing::kube;
using Clock = std::chrono::steady_clock;

struct Options {
  int services = 200;
  int endpoints = 1;  // per service, at the start
  int iterations = 50;
};

struct Sample {
  double registry_ms = 0;
  double routable_ms = 0;
};

std::string service_name(int i) {
  return "svc-" + std::to_string(i);
}

std::string ip_of(int service, int endpoint) {
  return "10." + std::to_string(service / 250) + "." + std::to_string(service % 250) + "." +
         std::to_string(endpoint + 1);
}

void apply_slice(mg::testing::KubeApiServer& api, int service, int endpoints) {
  std::vector<k::SliceEndpointSpec> list;
  // Without a targetRef: a targetRef to a pod not seen yet would hold the
  // endpoint back until the pod comes (istiod: endpointslice.go getPod).
  for (int e = 0; e < endpoints; ++e)
    list.push_back({ip_of(service, e), ""});
  api.apply(k::kEndpointSlices,
            k::endpoint_slice_json("bench", service_name(service) + "-abcde", service_name(service),
                                   list, {{"tls", 8443}}));
}

void seed(mg::testing::KubeApiServer& api, int services, int endpoints) {
  api.apply(k::kNamespaces, k::namespace_json("bench", "network1"));
  for (int s = 0; s < services; ++s) {
    api.apply(k::kServices, k::service_json("bench", service_name(s), {{"app", service_name(s)}},
                                            {{"tls", 8000, "8443", "TCP"}}));
    apply_slice(api, s, endpoints);
  }
}

bool has_endpoint(const mg::discovery::Snapshot& snapshot, int service, int endpoints) {
  const auto* svc = snapshot.find_service("bench", service_name(service));
  return svc != nullptr && static_cast<int>(svc->endpoints.size()) == endpoints;
}

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// One run: a fresh API server, source, registry and gateway; `iterations`
// changes, one at a time, each timed to the registry and to the routes.
std::vector<Sample> run(const Options& options, std::chrono::milliseconds coalesce) {
  mg::testing::TestPki pki;
  const auto cert =
      mg::demo::make_leaf(pki.ca, "kubernetes", std::vector<std::string>{"kubernetes.default.svc"});
  mg::testing::KubeApiServer api({cert.cert_pem, cert.key_pem, true, "bench-token", ""});
  seed(api, options.services, options.endpoints);

  mg::discovery::Registry registry;
  mg::config::Config config = mg::testing::test_config();
  config.passthrough.require_mtls_endpoints = false;  // the slices name no pods
  mg::gateway::Gateway gateway(std::make_shared<const mg::config::Config>(config), registry);
  gateway.start();

  std::mutex mutex;
  int want_service = -1, want_endpoints = 0;
  uint64_t seen_version = 0;
  Clock::time_point seen_at;
  registry.subscribe([&](const mg::discovery::SnapshotPtr& snapshot) {
    std::lock_guard lock(mutex);
    if (want_service >= 0 && seen_version == 0 &&
        has_endpoint(*snapshot, want_service, want_endpoints)) {
      seen_version = snapshot->version();
      seen_at = Clock::now();
    }
  });

  mg::discovery::kube::KubernetesSourceOptions source_options;
  source_options.access = {"https://127.0.0.1:" + std::to_string(api.port()),
                           pki.ca.cert_pem,
                           false,
                           "bench-token",
                           "",
                           "",
                           "",
                           "kubernetes.default.svc"};
  source_options.coalesce = coalesce;
  std::string error;
  auto source = mg::discovery::kube::KubernetesSource::create(source_options, registry, &error);
  if (!source) {
    std::fprintf(stderr, "cannot create the source: %s\n", error.c_str());
    std::exit(1);
  }
  source->start();
  if (!mg::testing::poll_until([&] { return registry.synced(); }, std::chrono::seconds(60))) {
    std::fprintf(stderr, "the source did not sync\n");
    std::exit(1);
  }

  std::vector<Sample> samples;
  for (int i = 0; i < options.iterations; ++i) {
    const int service = i % options.services;
    const int endpoints = options.endpoints + 1 + i / options.services;
    {
      std::lock_guard lock(mutex);
      want_service = service;
      want_endpoints = endpoints;
      seen_version = 0;
    }
    const Clock::time_point start = Clock::now();
    apply_slice(api, service, endpoints);
    uint64_t version = 0;
    Clock::time_point registry_at;
    const bool published = mg::testing::poll_until(
        [&] {
          std::lock_guard lock(mutex);
          version = seen_version;
          registry_at = seen_at;
          return version != 0;
        },
        std::chrono::seconds(10));
    const bool routed =
        published && mg::testing::poll_until(
                         [&] {
                           auto routes = gateway.routes();
                           return routes->table && routes->table->version() >= version;
                         },
                         std::chrono::seconds(10));
    if (!routed) {
      std::fprintf(stderr, "iteration %d: the change never became routable\n", i);
      std::exit(1);
    }
    samples.push_back(
        {std::chrono::duration<double, std::milli>(registry_at - start).count(), ms_since(start)});
  }
  source->stop();
  gateway.stop();
  return samples;
}

double percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  const size_t index = std::min(values.size() - 1, static_cast<size_t>(p * values.size()));
  return values[index];
}

void print_row(const char* name, const std::vector<Sample>& samples) {
  std::vector<double> registry, routable;
  for (const Sample& s : samples) {
    registry.push_back(s.registry_ms);
    routable.push_back(s.routable_ms);
  }
  std::printf("| %-22s | %5zu | %8.1f | %8.1f | %8.1f | %8.1f | %8.1f |\n", name, samples.size(),
              percentile(registry, 0.5), percentile(registry, 0.99), percentile(routable, 0.5),
              percentile(routable, 0.99), *std::max_element(routable.begin(), routable.end()));
}

bool parse_int(std::string_view text, int* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size() && *out > 0;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);  // the table, not the source's info lines
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--smoke") {
      options = {20, 1, 5};
    } else if (arg == "--services" && i + 1 < argc && parse_int(argv[i + 1], &options.services)) {
      ++i;
    } else if (arg == "--endpoints-per-service" && i + 1 < argc &&
               parse_int(argv[i + 1], &options.endpoints)) {
      ++i;
    } else if (arg == "--iterations" && i + 1 < argc &&
               parse_int(argv[i + 1], &options.iterations)) {
      ++i;
    } else {
      std::fprintf(stderr,
                   "usage: kube_latency_bench [--services N] [--endpoints-per-service E] "
                   "[--iterations I] [--smoke]\n");
      return 2;
    }
  }
  std::printf(
      "EndpointSlice change -> endpoint in the registry / routable, %d services, "
      "%d changes, stand-in API server over HTTP/2 on loopback\n\n",
      options.services, options.iterations);
  std::printf("| %-22s | %5s | %8s | %8s | %8s | %8s | %8s |\n", "coalesce", "n", "reg p50",
              "reg p99", "route p50", "route p99", "max");
  std::printf(
      "|------------------------|-------|----------|----------|----------|----------|--"
      "--------|\n");
  print_row("100 ms (default)", run(options, std::chrono::milliseconds(100)));
  print_row("0 (publish at once)", run(options, std::chrono::milliseconds(0)));
  std::printf("\n(milliseconds; from the API server storing the change)\n");
  return 0;
}

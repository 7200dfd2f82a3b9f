// Benchmark: a large cluster's objects translated into the registry's model.
//
// Builds a ClusterState in memory (Services, EndpointSlices of at most 100
// endpoints as the EndpointSlice controller cuts them, Pods, Namespaces,
// DestinationRules, ServiceEntries, WorkloadEntries), then times
// kube::translate() and publishing the result through a one-source
// discovery::Registry (the production path: the registry keeps the source's
// state and builds the Snapshot from it). Memory is read as RSS from
// /proc/self/statm and as glibc's heap in use (mallinfo2).
//
//   kube_translate_bench [--services N] [--endpoints-per-service E] [--runs R]
//   kube_translate_bench --smoke   # 200 services, 5 endpoints, 1 run (ctest)
//
// Every run checks the output counts against what was built (services,
// endpoints = services * E + selected WorkloadEntries, subsets, aliases) and
// exits 1 on a mismatch.

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "discovery/kubernetes/objects.h"
#include "discovery/kubernetes/translate.h"
#include "discovery/registry.h"
#include "tests/bench/kube_scale_state.h"

namespace {

namespace kube = meshgate::discovery::kube;
namespace discovery = meshgate::discovery;
using Clock = std::chrono::steady_clock;
using meshgate::bench::build_state;
using meshgate::bench::Expected;
using meshgate::bench::kServiceEntries;
using meshgate::bench::kWorkloadEntries;
using meshgate::bench::Memory;
using meshgate::bench::memory_now;

struct Config {
  int services = 10000;
  int endpoints_per_service = 10;
  int runs = 5;
  bool smoke = false;
};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

bool parse_args(int argc, char** argv, Config& config) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--smoke") {
      config = Config{200, 5, 1, true};
      continue;
    }
    if (i + 1 >= argc) return false;
    const std::string_view value = argv[++i];
    int* target = arg == "--services"                ? &config.services
                  : arg == "--endpoints-per-service" ? &config.endpoints_per_service
                  : arg == "--runs"                  ? &config.runs
                                                     : nullptr;
    if (target == nullptr || !meshgate::bench::parse_count(value, *target)) return false;
  }
  return true;
}

struct Counts {
  size_t services = 0;
  size_t endpoints = 0;
  size_t aliases = 0;
  size_t subsets = 0;
};

Counts count(const discovery::Snapshot& snapshot) {
  Counts c;
  c.services = snapshot.services().size();
  c.aliases = snapshot.aliases().size();
  for (const discovery::Service& svc : snapshot.services()) {
    c.endpoints += svc.endpoints.size();
    c.subsets += svc.subsets.size();
  }
  return c;
}

struct Results {
  double build_s = 0;
  std::vector<double> translate_s;
  double publish_s = 0;
  Memory before, after_state, after_translate, after_snapshot;
  Counts counts;
};

// Run 1 keeps its result and publishes it (memory is read around both);
// the other runs are timed only.
discovery::SnapshotPtr measure(const Config& config, const kube::ClusterState& state,
                               discovery::Registry& registry, Results& r) {
  const kube::TranslateOptions options;
  auto start = Clock::now();
  discovery::SourceState result = kube::translate(state, options);
  r.translate_s.push_back(seconds_since(start));
  r.after_translate = memory_now();
  start = Clock::now();
  registry.update("kubernetes", std::move(result));
  r.publish_s = seconds_since(start);
  malloc_trim(0);  // as the Kubernetes source does after a full translation
  r.after_snapshot = memory_now();
  for (int run = 1; run < config.runs; ++run) {
    start = Clock::now();
    const discovery::SourceState again = kube::translate(state, options);
    r.translate_s.push_back(seconds_since(start));
  }
  return registry.snapshot();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

std::string mib(double bytes) {
  char text[64];
  std::snprintf(text, sizeof text, "%.1f MiB", bytes / (1024.0 * 1024.0));
  return text;
}

std::string fixed(double value, const char* unit) {
  char text[64];
  std::snprintf(text, sizeof text, "%.3f %s", value, unit);
  return text;
}

void row(const std::string& metric, const std::string& value) {
  std::printf("| %s | %s |\n", metric.c_str(), value.c_str());
}

void print_memory(const Results& r) {
  row("RSS before state", mib(r.before.rss));
  row("RSS after state (delta)",
      mib(r.after_state.rss) + " (+" + mib(r.after_state.rss - r.before.rss) + ")");
  row("RSS after translate result (delta)",
      mib(r.after_translate.rss) + " (+" + mib(r.after_translate.rss - r.after_state.rss) + ")");
  row("RSS after snapshot published (delta)",
      mib(r.after_snapshot.rss) + " (+" + mib(r.after_snapshot.rss - r.after_translate.rss) + ")");
  row("heap in use: state", mib(r.after_state.heap - r.before.heap));
  row("heap in use: translate result", mib(r.after_translate.heap - r.after_state.heap));
  row("heap in use: snapshot", mib(r.after_snapshot.heap - r.after_translate.heap));
  // The snapshot shares the translate result's services: count them together.
  const double endpoints = std::max<double>(1, static_cast<double>(r.counts.endpoints));
  row("result + snapshot bytes/endpoint (RSS delta)",
      fixed((r.after_snapshot.rss - r.after_state.rss) / endpoints, "B"));
  row("result + snapshot bytes/endpoint (heap delta)",
      fixed((r.after_snapshot.heap - r.after_state.heap) / endpoints, "B"));
}

void print_table(const Config& config, const Expected& expected, const Results& r) {
  std::printf("| metric | value |\n|---|---|\n");
  row("cores (hardware_concurrency; translate is single-threaded)",
      std::to_string(std::thread::hardware_concurrency()));
  row("services in / endpoints per service",
      std::to_string(config.services) + " / " + std::to_string(config.endpoints_per_service));
  row("pods / endpoint slices / destination rules", std::to_string(expected.pods) + " / " +
                                                        std::to_string(expected.slices) + " / " +
                                                        std::to_string(expected.subsets / 2));
  row("service entries / workload entries (selected)",
      std::to_string(kServiceEntries) + " / " + std::to_string(kWorkloadEntries) + " (" +
          std::to_string(expected.workload_entries_selected) + ")");
  row("build state (once)", fixed(r.build_s * 1000, "ms"));
  const auto [lo, hi] = std::minmax_element(r.translate_s.begin(), r.translate_s.end());
  row("translate() runs", std::to_string(r.translate_s.size()));
  row("translate() min / median / max", fixed(*lo * 1000, "ms") + " / " +
                                            fixed(median(r.translate_s) * 1000, "ms") + " / " +
                                            fixed(*hi * 1000, "ms"));
  row("Registry::update (merge + Snapshot)", fixed(r.publish_s * 1000, "ms"));
  row("services out", std::to_string(r.counts.services));
  row("endpoints out", std::to_string(r.counts.endpoints));
  row("subsets out", std::to_string(r.counts.subsets));
  row("aliases out", std::to_string(r.counts.aliases));
  print_memory(r);
}

bool check(const Expected& e, const Counts& c) {
  bool ok = true;
  auto expect = [&ok](const char* what, size_t want, size_t got) {
    if (want == got) return;
    std::fprintf(stderr, "FAIL: %s: expected %zu, got %zu\n", what, want, got);
    ok = false;
  };
  expect("services", e.services, c.services);
  expect("endpoints", e.endpoints, c.endpoints);
  expect("aliases", e.aliases, c.aliases);
  expect("subsets", e.subsets, c.subsets);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  Config config;
  if (!parse_args(argc, argv, config)) {
    std::fprintf(stderr,
                 "usage: %s [--services N] [--endpoints-per-service E] [--runs R] | --smoke\n",
                 argv[0]);
    return 2;
  }
  Results r;
  r.before = memory_now();
  kube::ClusterState state;
  auto start = Clock::now();
  const Expected expected = build_state(config.services, config.endpoints_per_service, state);
  r.build_s = seconds_since(start);
  r.after_state = memory_now();
  discovery::Registry registry;
  registry.add_source("kubernetes");
  const discovery::SnapshotPtr snapshot = measure(config, state, registry, r);
  r.counts = count(*snapshot);
  print_table(config, expected, r);
  const bool ok = check(expected, r.counts);
  std::printf("\n%s\n", ok ? "counts: OK" : "counts: MISMATCH");
  return ok ? 0 : 1;
}

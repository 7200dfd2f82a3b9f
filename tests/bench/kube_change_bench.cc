// Benchmark: what one change costs in a large mesh, stage by stage.
//
// The cluster of kube_scale_state.h goes into a kube::Store as the first
// list puts it, then once through the production path: Translation::update,
// Registry::update_shared, the gateway's RouteTable::build and the DNS
// zone's ZoneIndex::build (the default zone, which lists every service).
// Then `--changes` times, one EndpointSlice gains an endpoint (a watch
// MODIFIED event) and every stage runs again with what it kept from the
// last: the translation's results, the previous route table and zone.
// Beside it, the same change through the path that redoes everything
// (translate(), Registry::update, RouteTable::build and ZoneIndex::build
// with nothing to reuse), so the table compares both in one run.
//
// Times are the thread's CPU time (CLOCK_THREAD_CPUTIME_ID) per stage.
// Memory: heap in use per endpoint once the first snapshot is published
// (the translation's results and the snapshot share the services; the route
// table and the zone are not counted), and the
// peak RSS during the incremental changes over the RSS before them (VmHWM
// after writing 5 to /proc/self/clear_refs).
//
//   kube_change_bench [--services N] [--endpoints-per-service E] [--changes C]
//   kube_change_bench --smoke   # 200 services, 5 endpoints, 20 changes (ctest)
//
// Exits 1 when a change is missing from the snapshot or the route table, or
// when the kept translation differs from translate() of the final state.
#include <malloc.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "base/cidr.h"
#include "discovery/kubernetes/store.h"
#include "discovery/kubernetes/translation.h"
#include "discovery/registry.h"
#include "dns-global/zone.h"
#include "gateway/routing/route_table.h"
#include "tests/bench/kube_scale_state.h"

namespace {

namespace mg = meshgate;
namespace kube = meshgate::discovery::kube;
namespace discovery = meshgate::discovery;

struct Config {
  int services = 10000;
  int endpoints_per_service = 10;
  int changes = 200;
};

double cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// Peak RSS since the last reset_peak(), in bytes.
double peak_rss() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) * 1024;
  }
  return 0;
}

void reset_peak() {
  std::ofstream("/proc/self/clear_refs") << "5";
}

// The stages of one change, in CPU milliseconds.
struct Stages {
  std::vector<double> translate, registry, routes, zone, total;
  void add(double t, double r, double rt, double z) {
    translate.push_back(t);
    registry.push_back(r);
    routes.push_back(rt);
    zone.push_back(z);
    total.push_back(t + r + rt + z);
  }
};

// Everything a stage keeps between changes.
struct Path {
  discovery::Registry registry;
  // The new endpoints name no pod, so they carry no tlsMode label.
  mg::gateway::RouteOptions route_options{"network1", "cluster.local", false, {}, nullptr};
  mg::config::Dns dns;
  mg::dns::VipAllocator vips{{*mg::base::parse_cidr("240.240.0.0/16")}};
  mg::gateway::RouteTablePtr routes;
  mg::dns::ZoneIndexPtr zone;
};

// Adds endpoint `serial` to the first slice of service `index`: a MODIFIED
// event. Returns its address.
std::string change_slice(kube::Store& store, int index, int serial) {
  const std::string ns = "ns-" + std::to_string(index % 100);
  const std::string key = ns + "/svc-" + std::to_string(index) + "-0";
  kube::EndpointSlice slice = store.state().endpoint_slices.at(key);
  const std::string address = "11." + std::to_string((serial >> 16) & 0xff) + "." +
                              std::to_string((serial >> 8) & 0xff) + "." +
                              std::to_string(serial & 0xff);
  slice.endpoints.push_back(kube::SliceEndpoint{{address}, {true, true, false}, std::nullopt});
  store.apply(kube::Event<kube::EndpointSlice>{kube::EventType::kModified, slice, "", {}});
  return address;
}

// `published`, when given, is the heap in use once the snapshot is published.
void incremental_step(kube::Store& store, kube::Translation& translation, Path& path,
                      Stages& stages, mg::bench::Memory* published = nullptr) {
  double t0 = cpu_ms();
  discovery::SharedSourceState state = translation.update(store, store.take_changes());
  double t1 = cpu_ms();
  path.registry.update_shared("kubernetes", std::move(state));
  double t2 = cpu_ms();
  if (published != nullptr) *published = mg::bench::memory_now();
  const discovery::SnapshotPtr snapshot = path.registry.snapshot();
  path.routes = mg::gateway::RouteTable::build(*snapshot, path.route_options, path.routes.get());
  double t3 = cpu_ms();
  path.zone = mg::dns::ZoneIndex::build(path.dns, *snapshot, path.vips, path.zone);
  double t4 = cpu_ms();
  stages.add(t1 - t0, t2 - t1, t3 - t2, t4 - t3);
}

void full_step(const kube::Store& store, Path& path, Stages& stages) {
  double t0 = cpu_ms();
  discovery::SourceState state = kube::translate(store.state(), {});
  double t1 = cpu_ms();
  path.registry.update("kubernetes", std::move(state));
  double t2 = cpu_ms();
  const discovery::SnapshotPtr snapshot = path.registry.snapshot();
  path.routes = mg::gateway::RouteTable::build(*snapshot, path.route_options);
  double t3 = cpu_ms();
  path.zone = mg::dns::ZoneIndex::build(path.dns, *snapshot, path.vips);
  double t4 = cpu_ms();
  stages.add(t1 - t0, t2 - t1, t3 - t2, t4 - t3);
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(p * values.size()))];
}

void print_stages(const char* path, const Stages& s) {
  const auto cell = [](const std::vector<double>& v) {
    char text[64];
    std::snprintf(text, sizeof text, "%.3f / %.3f", percentile(v, 0.5), percentile(v, 0.99));
    return std::string(text);
  };
  std::printf("| %s | %zu | %s | %s | %s | %s | %s |\n", path, s.total.size(),
              cell(s.translate).c_str(), cell(s.registry).c_str(), cell(s.routes).c_str(),
              cell(s.zone).c_str(), cell(s.total).c_str());
}

size_t endpoints_of(const discovery::Snapshot& snapshot) {
  size_t n = 0;
  for (const discovery::Service& service : snapshot.services())
    n += service.endpoints.size();
  return n;
}

// The route table routes port 80 of service `index` to `address`.
bool routed(const mg::gateway::RouteTable& table, int index, const std::string& address) {
  mg::sni::IstioName name;
  name.host =
      "svc-" + std::to_string(index) + ".ns-" + std::to_string(index % 100) + ".svc.cluster.local";
  name.port = 80;
  const mg::gateway::RouteLookup found = table.find(name);
  if (found.cluster == nullptr) return false;
  return std::any_of(found.cluster->endpoints.begin(), found.cluster->endpoints.end(),
                     [&](const auto& ep) { return ep.address.address().to_string() == address; });
}

bool parse_args(int argc, char** argv, Config& config) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--smoke") {
      config = Config{200, 5, 20};
      continue;
    }
    if (i + 1 >= argc) return false;
    const std::string_view value = argv[++i];
    int* target = arg == "--services"                ? &config.services
                  : arg == "--endpoints-per-service" ? &config.endpoints_per_service
                  : arg == "--changes"               ? &config.changes
                                                     : nullptr;
    if (target == nullptr || !mg::bench::parse_count(value, *target)) return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Config config;
  if (!parse_args(argc, argv, config)) {
    std::fprintf(stderr, "usage: %s [--services N] [--endpoints-per-service E] [--changes C]\n",
                 argv[0]);
    return 2;
  }
  const mg::bench::Memory empty = mg::bench::memory_now();
  kube::Store store;
  {
    kube::ClusterState built;
    mg::bench::build_state(config.services, config.endpoints_per_service, built);
    for (auto& [key, object] : built.namespaces)
      store.apply(kube::Event<kube::Namespace>{kube::EventType::kAdded, object, "", {}});
    auto list = [](auto& objects) {
      using T = typename std::decay_t<decltype(objects)>::mapped_type;
      std::vector<T> items;
      for (auto& [key, object] : objects)
        items.push_back(std::move(object));
      return items;
    };
    store.replace(list(built.services));
    store.replace(list(built.endpoint_slices));
    store.replace(list(built.pods));
    store.replace(list(built.service_entries));
    store.replace(list(built.workload_entries));
    store.replace(list(built.destination_rules));
  }
  malloc_trim(0);
  const mg::bench::Memory stored = mg::bench::memory_now();
  kube::ClusterIndex index_only = kube::index_of(store.state());
  const double index_heap = mg::bench::memory_now().heap - stored.heap;
  index_only = {};
  kube::Translation translation(kube::TranslateOptions{});
  Path kept;
  Stages first, incremental, full;
  const mg::bench::Memory before = mg::bench::memory_now();
  mg::bench::Memory published;
  incremental_step(store, translation, kept, first, &published);
  const size_t endpoints = endpoints_of(*kept.registry.snapshot());

  reset_peak();
  const double rss_before = mg::bench::memory_now().rss;
  bool ok = true;
  for (int i = 0; i < config.changes; ++i) {
    const int index = (i * 37) % config.services;
    const std::string address = change_slice(store, index, i);
    incremental_step(store, translation, kept, incremental);
    if (!routed(*kept.routes, index, address)) {
      std::fprintf(stderr, "FAIL: change %d: %s is not routed\n", i, address.c_str());
      ok = false;
    }
  }
  const double peak = peak_rss() - rss_before;
  if (kept.registry.snapshot()->services() !=
      discovery::Snapshot(0, kube::translate(store.state(), {}).services, {}).services()) {
    std::fprintf(stderr, "FAIL: the kept translation differs from translate()\n");
    ok = false;
  }

  Path redo;
  for (int i = 0; i < std::min(config.changes, 10); ++i) {
    change_slice(store, (i * 41) % config.services, config.changes + i);
    store.take_changes();
    full_step(store, redo, full);
  }

  std::printf("One EndpointSlice change, %d services x %d endpoints (%zu in the snapshot)\n\n",
              config.services, config.endpoints_per_service, endpoints);
  std::printf(
      "| path | changes | translate p50 / p99 | registry | route table | DNS zone | total |\n"
      "|---|---|---|---|---|---|---|\n");
  print_stages("first (everything)", first);
  print_stages("kept (incremental)", incremental);
  print_stages("redo everything", full);
  std::printf("\n(CPU milliseconds of the thread, p50 / p99)\n\n");
  std::printf("| memory | value |\n|---|---|\n");
  std::printf("| heap: the store (objects and their index) | %.1f MiB |\n",
              (stored.heap - empty.heap) / (1024.0 * 1024.0));
  std::printf("| heap: of it, the ClusterIndex | %.1f MiB |\n", index_heap / (1024.0 * 1024.0));
  std::printf("| heap per endpoint: translation results + snapshot (shared) | %.0f B |\n",
              (published.heap - before.heap) / static_cast<double>(std::max<size_t>(1, endpoints)));
  std::printf("| peak RSS over the %d incremental changes | %.1f MiB |\n", config.changes,
              peak / (1024.0 * 1024.0));
  std::printf("\n%s\n", ok ? "checks: OK" : "checks: FAILED");
  return ok ? 0 : 1;
}

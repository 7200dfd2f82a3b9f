#include "discovery/kubernetes/kube_source.h"

#include <malloc.h>
#include <spdlog/spdlog.h>

#include <utility>

#include "discovery/kubernetes/kind_reflector.h"

namespace meshgate::discovery::kube {
namespace {

constexpr auto kStatsRefresh = std::chrono::milliseconds(250);

constexpr const char* kServices = "/api/v1/services";
constexpr const char* kEndpointSlices = "/apis/discovery.k8s.io/v1/endpointslices";
constexpr const char* kPods = "/api/v1/pods";
constexpr const char* kNamespaces = "/api/v1/namespaces";
constexpr const char* kServiceEntries = "/apis/networking.istio.io/v1beta1/serviceentries";
constexpr const char* kWorkloadEntries = "/apis/networking.istio.io/v1beta1/workloadentries";
constexpr const char* kDestinationRules = "/apis/networking.istio.io/v1beta1/destinationrules";
constexpr const char* kGateways = "/apis/networking.istio.io/v1beta1/gateways";

std::string resource_of(const std::string& collection) {
  return collection.substr(collection.rfind('/') + 1);
}

}  // namespace

std::vector<std::string> watched_collections(bool istio, bool gateways) {
  std::vector<std::string> collections{kServices, kEndpointSlices, kPods, kNamespaces};
  if (istio) {
    collections.insert(collections.end(), {kServiceEntries, kWorkloadEntries, kDestinationRules});
  }
  if (gateways) collections.push_back(kGateways);
  return collections;
}

std::unique_ptr<KubernetesSource> KubernetesSource::create(KubernetesSourceOptions options,
                                                           Registry& registry, std::string* error) {
  auto source = std::unique_ptr<KubernetesSource>(
      new KubernetesSource(std::move(options), registry, nullptr));
  source->client_ =
      ApiClient::create(source->io_, source->options_.access, source->options_.client, error);
  if (!source->client_) return nullptr;
  source->add_reflectors();
  return source;
}

KubernetesSource::KubernetesSource(KubernetesSourceOptions options, Registry& registry,
                                   std::unique_ptr<ApiClient> client)
    : options_(std::move(options)),
      registry_(registry),
      client_(std::move(client)),
      translation_(options_.translate) {}

KubernetesSource::~KubernetesSource() {
  stop();
  reflectors_.clear();  // before the client they use
  client_.reset();
}

void KubernetesSource::add_reflectors() {
  auto add = [this]<typename T>(const char* collection) {
    reflectors_.push_back(std::make_unique<KindReflector<T>>(
        *client_, io_, collection, options_.timing, store_, [this] { on_change(); }));
  };
  add.operator()<Service>(kServices);
  add.operator()<EndpointSlice>(kEndpointSlices);
  add.operator()<Pod>(kPods);
  add.operator()<Namespace>(kNamespaces);
  if (!options_.translate.gateway_labels.empty()) add.operator()<Gateway>(kGateways);
  if (!options_.istio) return;
  add.operator()<ServiceEntry>(kServiceEntries);
  add.operator()<WorkloadEntry>(kWorkloadEntries);
  add.operator()<DestinationRule>(kDestinationRules);
}

void KubernetesSource::start() {
  if (thread_.joinable()) return;
  registry_.add_source(name_);
  asio::post(io_, [this] {
    for (auto& reflector : reflectors_)
      reflector->start();
    arm_stats_timer();
  });
  thread_ = std::thread([this] { io_.run(); });
}

void KubernetesSource::stop() {
  if (!thread_.joinable()) return;
  asio::post(io_, [this] {
    for (auto& reflector : reflectors_)
      reflector->stop();
    client_->stop();
    coalesce_timer_.cancel();
    stats_timer_.cancel();
    refresh_stats();
    // Not waiting for dials in flight: their handlers are destroyed with io_.
    io_.stop();
  });
  thread_.join();
}

// A change starts the coalescing window unless one is open: every change
// within it lands in the same snapshot.
void KubernetesSource::on_change() {
  if (coalescing_) return;
  coalescing_ = true;
  coalesce_timer_.expires_after(options_.coalesce);
  coalesce_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    coalescing_ = false;
    publish();
  });
}

bool KubernetesSource::all_synced() const {
  for (const auto& reflector : reflectors_)
    if (!reflector->stats().synced) return false;
  return true;
}

void KubernetesSource::publish() {
  if (!all_synced()) return;  // the last kind to sync calls on_change again
  const auto start = std::chrono::steady_clock::now();
  SharedSourceState state = translation_.update(store_, store_.take_changes());
  full_translations_ += translation_.last_full() ? 1 : 0;
  services_translated_ += translation_.last_translated();
  last_translate_seconds_ =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (snapshots_ == 0) {
    spdlog::info("kubernetes: synced: {} services, {} aliases ({:.1f} ms)", state.services.size(),
                 state.aliases ? state.aliases->size() : 0, last_translate_seconds_ * 1000);
  }
  registry_.update_shared(name_, std::move(state));
  // A full translation leaves hundreds of MiB of freed temporaries in a
  // large cluster; glibc keeps them unless asked to give them back.
  if (translation_.last_full()) malloc_trim(0);
  ++snapshots_;
  refresh_stats();
}

void KubernetesSource::refresh_stats() {
  KubernetesStats stats;
  for (const auto& reflector : reflectors_)
    stats.kinds.push_back({resource_of(reflector->collection()), reflector->stats()});
  stats.client = client_->stats();
  stats.synced = snapshots_ > 0;
  stats.snapshots = snapshots_;
  stats.last_translate_seconds = last_translate_seconds_;
  stats.full_translations = full_translations_;
  stats.services_translated = services_translated_;
  std::lock_guard lock(stats_mutex_);
  stats_ = std::move(stats);
}

void KubernetesSource::arm_stats_timer() {
  refresh_stats();
  stats_timer_.expires_after(kStatsRefresh);
  stats_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) arm_stats_timer();
  });
}

KubernetesStats KubernetesSource::stats() const {
  std::lock_guard lock(stats_mutex_);
  return stats_;
}

}  // namespace meshgate::discovery::kube

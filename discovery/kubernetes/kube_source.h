// Discovery from the Kubernetes API: a Reflector per watched kind feeding one
// Store; changes are coalesced (a burst makes one snapshot, within
// `coalesce`) and translated into the registry's model once every kind has
// been listed. Until then the source has not updated the registry, so the
// gateway's readiness stays 503; after that an API outage keeps the last
// state serving and shows in stats(). Runs on a thread of its own.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "discovery/kubernetes/api_client.h"
#include "discovery/kubernetes/reflector.h"
#include "discovery/kubernetes/store.h"
#include "discovery/kubernetes/translate.h"
#include "discovery/kubernetes/translation.h"
#include "discovery/registry.h"

namespace meshgate::discovery::kube {

struct KubernetesSourceOptions {
  ApiAccess access;
  TranslateOptions translate;
  std::chrono::milliseconds coalesce{100};
  bool istio = true;  // also watch networking.istio.io (absent CRDs read as empty)
  ReflectorTiming timing;
  ApiClientOptions client;
};

struct KindStats {
  std::string resource;  // "pods", "endpointslices", ...
  ReflectorStats reflector;
};

struct KubernetesStats {
  std::vector<KindStats> kinds;
  ApiClientStats client;
  bool synced = false;     // every kind listed once; the registry has our state
  uint64_t snapshots = 0;  // states handed to the registry
  double last_translate_seconds = 0;
  uint64_t full_translations = 0;    // translations of every object
  uint64_t services_translated = 0;  // Services translated, over all translations
};

// The collections watched, cluster-wide: core/v1, discovery.k8s.io/v1, with
// `istio` networking.istio.io/v1beta1's ServiceEntries, WorkloadEntries and
// DestinationRules, and with `gateways` its Gateways.
std::vector<std::string> watched_collections(bool istio, bool gateways);

class KubernetesSource {
 public:
  // Null with *error when the API access cannot be used.
  static std::unique_ptr<KubernetesSource> create(KubernetesSourceOptions options,
                                                  Registry& registry, std::string* error);
  ~KubernetesSource();  // stops

  const std::string& name() const { return name_; }  // the registry source: "kubernetes"
  void start();                   // declares the source to the registry and starts the thread
  void stop();                    // stops and joins; the registry keeps the last state
  KubernetesStats stats() const;  // thread-safe; refreshed as things happen

 private:
  KubernetesSourceOptions options_;
  Registry& registry_;
  std::string name_ = "kubernetes";
  asio::io_context io_{1};
  std::unique_ptr<ApiClient> client_;
  Store store_;
  Translation translation_;
  std::vector<std::unique_ptr<Reflector>> reflectors_;
  asio::steady_timer coalesce_timer_{io_};
  asio::steady_timer stats_timer_{io_};
  bool coalescing_ = false;
  std::thread thread_;
  mutable std::mutex stats_mutex_;
  KubernetesStats stats_;
  uint64_t snapshots_ = 0;
  double last_translate_seconds_ = 0;
  uint64_t full_translations_ = 0;
  uint64_t services_translated_ = 0;

  KubernetesSource(KubernetesSourceOptions options, Registry& registry,
                   std::unique_ptr<ApiClient> client);
  void add_reflectors();
  void on_change();
  void publish();
  bool all_synced() const;
  void refresh_stats();
  void arm_stats_timer();
};

}  // namespace meshgate::discovery::kube

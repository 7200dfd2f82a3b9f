#include "discovery/kubernetes/kube_metrics.h"

#include <array>
#include <functional>
#include <string_view>

namespace meshgate::discovery::kube {
namespace {

using Type = base::PrometheusWriter::Type;

constexpr std::array<std::string_view, 5> kEventNames{"ADDED", "MODIFIED", "DELETED", "BOOKMARK",
                                                      "ERROR"};

// One sample per watched resource of `name`, read by `value`.
void per_resource(base::PrometheusWriter& writer, std::string_view name,
                  const KubernetesStats& stats,
                  const std::function<uint64_t(const ReflectorStats&)>& value) {
  for (const KindStats& kind : stats.kinds)
    writer.sample(name, {{"resource", kind.resource}}, value(kind.reflector));
}

void write_lists(const KubernetesStats& stats, base::PrometheusWriter& writer) {
  writer.family("meshgate_kubernetes_lists_total", Type::kCounter,
                "Complete lists (every page) of a watched resource.");
  per_resource(writer, "meshgate_kubernetes_lists_total", stats,
               [](const ReflectorStats& s) { return s.lists; });
  writer.family("meshgate_kubernetes_list_failures_total", Type::kCounter,
                "List pages that failed: no answer, an error status, an unreadable body.");
  per_resource(writer, "meshgate_kubernetes_list_failures_total", stats,
               [](const ReflectorStats& s) { return s.list_failures; });
  writer.family("meshgate_kubernetes_relists_total", Type::kCounter,
                "Lists started again because the watch could not go on (410 Gone, a bad event).");
  per_resource(writer, "meshgate_kubernetes_relists_total", stats,
               [](const ReflectorStats& s) { return s.relists; });
  writer.family("meshgate_kubernetes_decode_errors_total", Type::kCounter,
                "List pages or watch events that could not be read.");
  per_resource(writer, "meshgate_kubernetes_decode_errors_total", stats,
               [](const ReflectorStats& s) { return s.decode_errors; });
}

void write_watches(const KubernetesStats& stats, base::PrometheusWriter& writer) {
  writer.family("meshgate_kubernetes_watches_total", Type::kCounter, "Watch requests started.");
  per_resource(writer, "meshgate_kubernetes_watches_total", stats,
               [](const ReflectorStats& s) { return s.watches; });
  writer.family("meshgate_kubernetes_watch_drops_total", Type::kCounter,
                "Watches ended by an error and resumed from the last version seen.");
  per_resource(writer, "meshgate_kubernetes_watch_drops_total", stats,
               [](const ReflectorStats& s) { return s.watch_drops; });
  writer.family("meshgate_kubernetes_watch_events_total", Type::kCounter,
                "Watch events received, by resource and type.");
  for (const KindStats& kind : stats.kinds) {
    for (size_t i = 0; i < kEventNames.size(); ++i) {
      writer.sample("meshgate_kubernetes_watch_events_total",
                    {{"resource", kind.resource}, {"type", kEventNames[i]}},
                    kind.reflector.events[i]);
    }
  }
}

void write_health(const KubernetesStats& stats, base::PrometheusWriter& writer) {
  writer.family("meshgate_kubernetes_resource_up", Type::kGauge,
                "1 while the last request for the resource reached the API server and succeeded; "
                "0 during an outage (the last state keeps serving).");
  per_resource(writer, "meshgate_kubernetes_resource_up", stats,
               [](const ReflectorStats& s) { return s.healthy ? 1 : 0; });
  writer.family("meshgate_kubernetes_resource_unavailable", Type::kGauge,
                "1 when the API server answers 403 or 404 for the resource (RBAC, missing CRD).");
  per_resource(writer, "meshgate_kubernetes_resource_unavailable", stats,
               [](const ReflectorStats& s) { return s.unavailable ? 1 : 0; });
  writer.family("meshgate_kubernetes_synced", Type::kGauge,
                "1 once every resource has been listed and the registry has the state.");
  writer.sample("meshgate_kubernetes_synced", {}, uint64_t{stats.synced ? 1u : 0u});
  writer.family("meshgate_kubernetes_connections_total", Type::kCounter,
                "TLS connections to the API server, by result.");
  writer.sample("meshgate_kubernetes_connections_total", {{"result", "ok"}}, stats.client.connects);
  writer.sample("meshgate_kubernetes_connections_total", {{"result", "failed"}},
                stats.client.connect_failures);
  writer.family("meshgate_kubernetes_snapshots_total", Type::kCounter,
                "States handed to the registry (one per coalesced burst of changes).");
  writer.sample("meshgate_kubernetes_snapshots_total", {}, stats.snapshots);
  writer.family("meshgate_kubernetes_translate_seconds", Type::kGauge,
                "Time the last translation of the cluster's objects took.");
  writer.sample("meshgate_kubernetes_translate_seconds", std::span<const base::Label>{},
                stats.last_translate_seconds);
  writer.family("meshgate_kubernetes_full_translations_total", Type::kCounter,
                "Translations of every object (the first, a relist, or a change to a kind many "
                "services read); the others redo only the services a change touches.");
  writer.sample("meshgate_kubernetes_full_translations_total", {}, stats.full_translations);
  writer.family("meshgate_kubernetes_services_translated_total", Type::kCounter,
                "Services translated, over all translations.");
  writer.sample("meshgate_kubernetes_services_translated_total", {}, stats.services_translated);
}

}  // namespace

void write_kubernetes_metrics(const KubernetesStats& stats, base::PrometheusWriter& writer) {
  write_lists(stats, writer);
  write_watches(stats, writer);
  write_health(stats, writer);
}

}  // namespace meshgate::discovery::kube

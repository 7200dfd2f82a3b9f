#include "discovery/xds/xds_metrics.h"

#include <chrono>
#include <string_view>

namespace meshgate::discovery::xds {
namespace {

using Type = base::PrometheusWriter::Type;

void single(base::PrometheusWriter& writer, std::string_view name, Type type, std::string_view help,
            uint64_t value) {
  writer.family(name, type, help);
  writer.sample(name, {}, value);
}

// One sample per xDS type (cds, eds, lds) of what `value` reads.
template <typename Value>
void per_type(base::PrometheusWriter& writer, std::string_view name, Type type,
              std::string_view help, const XdsClientStats& stats, Value value) {
  writer.family(name, type, help);
  for (size_t i = 0; i < kXdsTypeCount; ++i) {
    writer.sample(name, {{"type", type_name(static_cast<XdsType>(i))}}, value(stats.types[i]));
  }
}

void write_stream(const XdsClientStats& stats, base::PrometheusWriter& writer) {
  single(writer, "meshgate_xds_connected", Type::kGauge,
         "1 while a stream to istiod is open and istiod has answered on it.",
         stats.connected ? 1 : 0);
  single(writer, "meshgate_xds_complete", Type::kGauge,
         "1 once istiod's first complete push (LDS, CDS, every EDS cluster) has arrived.",
         stats.complete ? 1 : 0);
  single(writer, "meshgate_xds_streams_total", Type::kCounter, "ADS streams opened to istiod.",
         stats.streams);
  writer.family("meshgate_xds_failures_total", Type::kCounter,
                "Streams that ended or could not start, by reason (root_cert, token, tls, "
                "unavailable, unauthorized, refused, overloaded, closed).");
  for (size_t i = 1; i < kXdsFailureCount; ++i) {
    writer.sample("meshgate_xds_failures_total",
                  {{"reason", failure_name(static_cast<XdsFailure>(i))}}, stats.failures[i]);
  }
  const auto since_epoch = stats.last_accepted.time_since_epoch();
  writer.family("meshgate_xds_last_accepted_timestamp_seconds", Type::kGauge,
                "When the last push was accepted (Unix time); 0 before the first.");
  const std::span<const base::Label> no_labels;
  writer.sample("meshgate_xds_last_accepted_timestamp_seconds", no_labels,
                std::chrono::duration<double>(since_epoch).count());
}

void write_types(const XdsClientStats& stats, base::PrometheusWriter& writer) {
  per_type(writer, "meshgate_xds_pushes_total", Type::kCounter,
           "Responses from istiod accepted (ACKed), by type.", stats,
           [](const TypeStatus& s) { return s.pushes; });
  per_type(writer, "meshgate_xds_nacks_total", Type::kCounter,
           "Responses from istiod refused (NACKed; the previous state kept serving), by type.",
           stats, [](const TypeStatus& s) { return s.nacks; });
  per_type(writer, "meshgate_xds_resources", Type::kGauge, "Resources held, by type.", stats,
           [](const TypeStatus& s) { return static_cast<uint64_t>(s.resources); });
}

void write_translation(const XdsSourceStats& stats, base::PrometheusWriter& writer) {
  single(writer, "meshgate_xds_publishes_total", Type::kCounter,
         "Complete states handed to the registry.", stats.publishes);
  single(writer, "meshgate_xds_routes", Type::kGauge,
         "Routes (host, port, subset) in the last state published.", stats.translate.routes);
  writer.family("meshgate_xds_untranslated", Type::kGauge,
                "What the last state held that meshgate does not route, by kind: unserved "
                "chains, foreign (non-outbound_) server names, clusters unknown, unnamed or "
                "of a type meshgate cannot resolve, DNS cluster host names not answered yet.");
  const TranslateStats& t = stats.translate;
  const std::pair<std::string_view, uint64_t> kinds[] = {
      {"unserved_chain", t.unserved_chains},
      {"foreign_name", t.foreign_names},
      {"unknown_cluster", t.unknown_clusters},
      {"unnamed_cluster", t.unnamed_clusters},
      {"unresolved_cluster", t.unresolved_clusters},
      {"dns_unanswered", t.dns_unanswered},
      {"other_listener_chain", t.other_listener_chains},
      {"subset_outside_route", t.subset_outside_route}};
  for (const auto& [kind, value] : kinds)
    writer.sample("meshgate_xds_untranslated", {{"kind", kind}}, value);
}

void write_dns(const DnsRefresherStats& stats, base::PrometheusWriter& writer) {
  single(writer, "meshgate_xds_dns_names", Type::kGauge,
         "Host names of STRICT_DNS and LOGICAL_DNS clusters kept resolved.", stats.names);
  single(writer, "meshgate_xds_dns_lookups_total", Type::kCounter,
         "Lookups of those names that ended (answered or failed).", stats.lookups);
  single(writer, "meshgate_xds_dns_failures_total", Type::kCounter,
         "Lookups no DNS server answered; the name kept its last addresses.", stats.failures);
  single(writer, "meshgate_xds_dns_changes_total", Type::kCounter,
         "Lookups that changed a name's addresses.", stats.changes);
}

}  // namespace

void write_xds_metrics(const XdsSourceStats& stats, base::PrometheusWriter& writer) {
  write_stream(stats.client, writer);
  write_types(stats.client, writer);
  write_translation(stats, writer);
  write_dns(stats.dns, writer);
}

}  // namespace meshgate::discovery::xds

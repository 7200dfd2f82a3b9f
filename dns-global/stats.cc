// DNS counters and their Prometheus families.
#include "dns-global/stats.h"

#include <algorithm>
#include <string>

namespace meshgate::dns {

std::size_t type_index(uint16_t type) {
  const auto* found = std::find(kCountedTypes.begin(), kCountedTypes.end(), type);
  return static_cast<std::size_t>(found - kCountedTypes.begin());  // "other" when not found
}

std::size_t rcode_index(uint16_t rcode) {
  if (rcode <= 5) return rcode;
  if (rcode == 9) return 6;   // NOTAUTH
  if (rcode == 16) return 7;  // BADVERS
  return kRcodeNames.size() - 1;
}

namespace {

template <std::size_t N>
std::array<uint64_t, N> values(const std::array<Counter, N>& counters) {
  std::array<uint64_t, N> out{};
  for (std::size_t i = 0; i < N; ++i)
    out[i] = counters[i].get();
  return out;
}

using Type = base::PrometheusWriter::Type;

template <std::size_t N>
void labelled(base::PrometheusWriter& writer, std::string_view name, std::string_view label,
              const std::array<std::string_view, N>& names, const std::array<uint64_t, N>& counts) {
  for (std::size_t i = 0; i < N; ++i)
    writer.sample(name, {{label, names[i]}}, counts[i]);
}

void write_answers(const DnsStatsSnapshot& stats, base::PrometheusWriter& writer) {
  writer.family("meshgate_dns_responses_total", Type::kCounter,
                "DNS answers sent, by query type and response code.");
  for (std::size_t t = 0; t < kTypeNames.size(); ++t) {
    for (std::size_t r = 0; r < kRcodeNames.size(); ++r) {
      const uint64_t count = stats.answers[t][r];
      if (count == 0) continue;  // 99 mostly-zero series would drown the page
      writer.sample("meshgate_dns_responses_total",
                    {{"type", kTypeNames[t]}, {"rcode", kRcodeNames[r]}}, count);
    }
  }
}

}  // namespace

DnsStatsSnapshot snapshot_of(const DnsStats& stats) {
  DnsStatsSnapshot out;
  out.queries = values(stats.queries);
  for (std::size_t t = 0; t < kTypeNames.size(); ++t)
    out.answers[t] = values(stats.answers[t]);
  out.malformed = stats.malformed.get();
  out.refused = stats.refused.get();
  out.truncated = stats.truncated.get();
  out.not_authorized = values(stats.not_authorized);
  out.forwarded = values(stats.forwarded);
  out.dropped = values(stats.dropped);
  out.tcp_accepted = stats.tcp_accepted.get();
  out.tcp_active = stats.tcp_active.get();
  out.tcp_rejected = stats.tcp_rejected.get();
  out.rate_limited = values(stats.rate_limited);
  out.latency = stats.latency.snapshot();
  return out;
}

void write_dns_metrics(const DnsStatsSnapshot& stats, base::PrometheusWriter& writer) {
  writer.family("meshgate_dns_queries_total", Type::kCounter,
                "DNS messages received, by transport.");
  labelled(writer, "meshgate_dns_queries_total", "transport", kTransportNames, stats.queries);
  write_answers(stats, writer);
  writer.family("meshgate_dns_malformed_total", Type::kCounter,
                "Queries answered FORMERR or too short to answer.");
  writer.sample("meshgate_dns_malformed_total", {}, stats.malformed);
  writer.family("meshgate_dns_refused_total", Type::kCounter,
                "Queries refused: outside the zones from a client not allowed to recurse, "
                "zone transfers, classes other than IN.");
  writer.sample("meshgate_dns_refused_total", {}, stats.refused);
  writer.family("meshgate_dns_truncated_total", Type::kCounter,
                "UDP answers sent truncated (TC) because they did not fit.");
  writer.sample("meshgate_dns_truncated_total", {}, stats.truncated);
  writer.family("meshgate_dns_notauth_total", Type::kCounter,
                "Queries answered NOTAUTH, by reason: tsig, signed while this server holds no "
                "keys (TSIG error BADKEY).");
  labelled(writer, "meshgate_dns_notauth_total", "reason", kNotAuthReasonNames,
           stats.not_authorized);
  writer.family("meshgate_dns_forwarded_total", Type::kCounter,
                "Queries for names outside the zones sent upstream, by result.");
  labelled(writer, "meshgate_dns_forwarded_total", "result", kForwardResultNames, stats.forwarded);
  writer.family("meshgate_dns_dropped_total", Type::kCounter,
                "Messages that got no answer, by reason.");
  labelled(writer, "meshgate_dns_dropped_total", "reason", kDropReasonNames, stats.dropped);
  writer.family("meshgate_dns_tcp_connections_total", Type::kCounter,
                "DNS TCP connections, accepted or rejected over dns.max_tcp_connections.");
  writer.sample("meshgate_dns_tcp_connections_total", {{"result", "accepted"}}, stats.tcp_accepted);
  writer.sample("meshgate_dns_tcp_connections_total", {{"result", "evicted"}}, stats.tcp_rejected);
  writer.family("meshgate_dns_tcp_connections_active", Type::kGauge,
                "DNS TCP connections open now.");
  writer.sample("meshgate_dns_tcp_connections_active", {}, stats.tcp_active);
  writer.family("meshgate_dns_rate_limited_total", Type::kCounter,
                "UDP answers over their client prefix's dns.rate_limit: dropped, or slipped "
                "(sent truncated, for the client to retry over TCP).");
  labelled(writer, "meshgate_dns_rate_limited_total", "action", kRateLimitActionNames,
           stats.rate_limited);
  writer.family("meshgate_dns_zone_version", Type::kGauge,
                "Registry snapshot version the DNS zones were built from: the last one that "
                "changed a name, so it may lag the registry's version.");
  writer.sample("meshgate_dns_zone_version", {}, stats.zone_version);
  writer.family("meshgate_dns_zone_names", Type::kGauge, "Names with addresses in the zones.");
  writer.sample("meshgate_dns_zone_names", {}, stats.zone_names);
  writer.family("meshgate_dns_answer_seconds", Type::kHistogram,
                "Time from a query's receipt to its answer being sent, forwarded ones included.");
  writer.histogram("meshgate_dns_answer_seconds", {}, stats.latency);
}

}  // namespace meshgate::dns

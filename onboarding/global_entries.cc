// `meshgate global-entries`.
#include "onboarding/global_entries.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include "base/cidr.h"
#include "base/ip.h"
#include "discovery/names.h"
#include "dns-global/name.h"
#include "dns-global/vip_allocator.h"
#include "dns-global/zone.h"
#include "onboarding/registry_once.h"

namespace meshgate::onboarding {
namespace {

// The zone whose `services: true` names services <name>.<namespace>.global,
// the form the gateway routes (outbound_.<port>_._.<name>.<ns>.global).
constexpr std::string_view kGlobalZone = "global";
// On every object written, so `kubectl delete se -l` finds them all again.
constexpr std::string_view kManagedByLabel = "app.kubernetes.io/managed-by: meshgate";

// One ServiceEntry to write.
struct GlobalEntry {
  std::string host;  // <name>.<namespace>.global
  const discovery::Service* service = nullptr;
  std::vector<std::string> addresses;  // what the zone answers: A then AAAA
  std::string object_name;             // metadata.name
};

struct Collected {
  std::vector<GlobalEntry> entries;  // by host
  std::vector<std::string> skipped;  // one comment line each, without "# "
};

// Values from input are written plain only when every YAML reader takes them
// as strings: a letter, then [a-z0-9.-], and no YAML 1.1 boolean or null
// (kubectl reads YAML 1.1, where a port named "on" would be true); or a
// dotted quad. Anything else (IPv6 addresses, "8080") is double-quoted. The
// inputs were validated; the escaping is a backstop.
bool plain_is_string(std::string_view text) {
  static constexpr std::array<std::string_view, 9> kReserved{"y",   "n",    "yes",   "no",  "on",
                                                             "off", "true", "false", "null"};
  const auto plain_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
  };
  if (text.empty() || !std::all_of(text.begin(), text.end(), plain_char)) return false;
  if (text.front() >= 'a' && text.front() <= 'z') {
    return std::find(kReserved.begin(), kReserved.end(), text) == kReserved.end();
  }
  return std::count(text.begin(), text.end(), '.') == 3 && base::parse_ip(text).has_value();
}

std::string scalar(std::string_view text) {
  if (plain_is_string(text)) return std::string(text);
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::vector<std::string> node_addresses(const dns::Node& node) {
  std::vector<std::string> out;
  for (const auto& a : node.a) {
    base::IpAddress address;
    std::copy(a.begin(), a.end(), address.bytes.begin());
    out.push_back(base::to_string(address));
  }
  for (const auto& aaaa : node.aaaa)
    out.push_back(base::to_string(base::IpAddress{true, aaaa}));
  return out;
}

// What the zone answers for `host` itself; empty when it answers nothing, or
// only through a wildcard (that VIP is shared by every name below it, and two
// ServiceEntries on one VIP and port conflict).
std::vector<std::string> zone_answer(const dns::ZoneIndex& zone, const std::string& host) {
  const auto name = dns::Name::parse(host);
  if (!name) return {};
  const dns::Lookup lookup = zone.find(*name);
  if (lookup.kind != dns::LookupKind::kFound || lookup.wildcard || lookup.node == nullptr)
    return {};
  return node_addresses(*lookup.node);
}

dns::ZoneIndexPtr build_zone(const config::Config& config, const discovery::Snapshot& snapshot) {
  std::vector<base::Cidr> ranges;
  for (const std::string& text : config.dns.vip_ranges) {
    if (const auto cidr = base::parse_cidr(text)) ranges.push_back(*cidr);
  }
  return dns::ZoneIndex::build(config.dns, snapshot, dns::VipAllocator(ranges));
}

void collect_services(const dns::ZoneIndex& zone, const discovery::Snapshot& snapshot,
                      Collected& out) {
  for (const discovery::Service& service : snapshot.services()) {
    if (!service.host.empty()) continue;  // a ServiceEntry's host: no .global name
    GlobalEntry entry;
    entry.host = fmt::format("{}.{}.{}", service.name, service.ns, kGlobalZone);
    entry.service = &service;
    entry.addresses = zone_answer(zone, entry.host);
    if (entry.addresses.empty()) {
      out.skipped.push_back(fmt::format(
          "{}: the DNS answers no address of its own for it (zone \"{}\" with services: true?)",
          entry.host, kGlobalZone));
      continue;
    }
    out.entries.push_back(std::move(entry));
  }
  std::sort(out.entries.begin(), out.entries.end(),
            [](const GlobalEntry& a, const GlobalEntry& b) { return a.host < b.host; });
}

// Aliases other than the services' own names: the registry gives them no
// ports, so they get no ServiceEntry (and no hosts line: a name that resolves
// but has no ServiceEntry would send the remote sidecar's traffic nowhere).
void collect_skipped_aliases(const discovery::Snapshot& snapshot, Collected& out) {
  for (const discovery::HostAlias& alias : snapshot.aliases()) {
    const bool is_entry = std::any_of(out.entries.begin(), out.entries.end(),
                                      [&](const GlobalEntry& e) { return e.host == alias.host; });
    if (is_entry) continue;
    std::string why = "a registry alias, not a service's own .global name: no ports, skipped";
    if (!alias.service_name.empty()) {
      why +=
          fmt::format("; use {}.{}.{}", alias.service_name, alias.service_namespace, kGlobalZone);
    }
    out.skipped.push_back(fmt::format("{}: {}", alias.host, why));
  }
}

// FNV-1a (32-bit): a short, stable suffix for the rare colliding name.
std::string short_hash(std::string_view text) {
  uint32_t hash = 2166136261u;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 16777619u;
  }
  return fmt::format("{:08x}", hash);
}

// <name>-<namespace>-global; "a-b"/"c" and "a"/"b-c" would both give
// a-b-c-global, so a repeated name gets a hash of the host appended.
void assign_object_names(std::vector<GlobalEntry>& entries) {
  std::set<std::string, std::less<>> used;
  for (GlobalEntry& entry : entries) {
    std::string name = fmt::format("{}-{}-{}", entry.service->name, entry.service->ns, kGlobalZone);
    if (used.contains(name)) name += "-" + short_hash(entry.host);
    used.insert(name);
    entry.object_name = std::move(name);
  }
}

Collected collect(const config::Config& config, const discovery::Snapshot& snapshot) {
  const dns::ZoneIndexPtr zone = build_zone(config, snapshot);
  Collected out;
  collect_services(*zone, snapshot, out);
  collect_skipped_aliases(snapshot, out);
  assign_object_names(out.entries);
  return out;
}

// ServiceEntry port names are required DNS labels; an unnamed service port
// gets one from its number (and, having no protocol prefix, is TCP).
std::string port_name(const discovery::ServicePort& port) {
  return port.name.empty() ? fmt::format("port-{}", port.number) : port.name;
}

std::string header(const discovery::Snapshot& snapshot, const GlobalEntriesOptions& options,
                   const Collected& collected, std::string_view what) {
  const bool v6 = options.gateway_address.find(':') != std::string::npos;
  std::string out =
      fmt::format("# meshgate global-entries: registry snapshot {}, gateway {}{}{}:{}\n# {}\n",
                  snapshot.version(), v6 ? "[" : "", options.gateway_address, v6 ? "]" : "",
                  options.gateway_port, what);
  for (const std::string& line : collected.skipped)
    out += "# " + line + "\n";
  return out;
}

std::string yaml_ports(const discovery::Service& service) {
  std::string out = "  ports:\n";
  for (const discovery::ServicePort& port : service.ports) {
    const std::string name = port_name(port);
    out += fmt::format("  - number: {}\n    name: {}\n    protocol: {}\n", port.number,
                       scalar(name), protocol_for_port_name(name));
  }
  return out;
}

std::string yaml_endpoint(const discovery::Service& service, const GlobalEntriesOptions& options) {
  std::string out =
      fmt::format("  endpoints:\n  - address: {}\n    ports:\n", scalar(options.gateway_address));
  for (const discovery::ServicePort& port : service.ports) {
    out += fmt::format("      {}: {}\n", scalar(port_name(port)), options.gateway_port);
  }
  // Istio's auto mTLS only sends Istio mTLS (and its ALPN, which the gateway
  // requires) to endpoints carrying this label.
  out += "    labels:\n      security.istio.io/tlsMode: istio\n";
  if (!options.network.empty()) out += fmt::format("    network: {}\n", scalar(options.network));
  return out;
}

std::string yaml_document(const GlobalEntry& entry, const GlobalEntriesOptions& options) {
  std::string out = fmt::format(
      "---\napiVersion: networking.istio.io/v1beta1\nkind: ServiceEntry\nmetadata:\n"
      "  name: {}\n",
      scalar(entry.object_name));
  if (!options.ns.empty()) out += fmt::format("  namespace: {}\n", scalar(options.ns));
  out += fmt::format("  labels:\n    {}\nspec:\n  hosts:\n  - {}\n  addresses:\n", kManagedByLabel,
                     scalar(entry.host));
  for (const std::string& address : entry.addresses)
    out += fmt::format("  - {}\n", scalar(address));
  // Remote services are part of the mesh: same root of trust, Istio mTLS.
  out += "  location: MESH_INTERNAL\n";
  const bool ip = discovery::is_ip_literal(options.gateway_address);
  out += fmt::format("  resolution: {}\n", ip ? "STATIC" : "DNS");
  out += yaml_ports(*entry.service);
  out += yaml_endpoint(*entry.service, options);
  return out;
}

std::string yaml_text(const discovery::Snapshot& snapshot, const GlobalEntriesOptions& options,
                      const Collected& collected) {
  std::string out = header(snapshot, options, collected,
                           "Istio ServiceEntries for this gateway's services as "
                           "<name>.<namespace>.global,\n# for the remote network: "
                           "kubectl apply -n <client namespace> -f -");
  for (const GlobalEntry& entry : collected.entries)
    out += yaml_document(entry, options);
  return out;
}

std::string hosts_text(const discovery::Snapshot& snapshot, const GlobalEntriesOptions& options,
                       const Collected& collected) {
  std::string out = header(snapshot, options, collected,
                           "hosts lines for the names of the ServiceEntries (--format yaml)");
  for (const GlobalEntry& entry : collected.entries) {
    for (const std::string& address : entry.addresses) {
      out += fmt::format("{} {}\n", address, entry.host);
    }
  }
  return out;
}

// --- the command -------------------------------------------------------------

// A DNS name whose last label is all digits is a mistyped IPv4 address
// ("192.0.2.300"), not a name: no top-level domain is numeric.
bool numeric_last_label(std::string_view name) {
  const std::string_view last = name.substr(name.rfind('.') + 1);
  return std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Normalizes `address` (lower case; IP literals as inet_ntop writes them) or
// returns what is wrong with it.
std::string check_gateway_address(std::string& address) {
  if (address.empty()) return "global-entries: missing --gateway-address";
  if (const auto ip = base::parse_ip(address)) {
    address = base::to_string(*ip);
    return "";
  }
  const std::string name = lower(address);
  if (discovery::is_dns_name(name) && !numeric_last_label(name)) {
    address = name;
    return "";
  }
  return fmt::format("--gateway-address: '{}' is neither an IP address nor a DNS name", address);
}

// The flags' values as given, checked once all are read.
struct RawArgs {
  GlobalEntriesOptions options;
  std::string port;
  std::string format = "yaml";
};

std::string* value_flag(std::string_view flag, RawArgs& raw) {
  if (flag == "--config") return &raw.options.config_file;
  if (flag == "--gateway-address") return &raw.options.gateway_address;
  if (flag == "--gateway-port") return &raw.port;
  if (flag == "--namespace") return &raw.options.ns;
  if (flag == "--network") return &raw.options.network;
  if (flag == "--format") return &raw.format;
  return nullptr;
}

std::string check_raw(RawArgs& raw) {
  GlobalEntriesOptions& o = raw.options;
  if (std::string error = check_gateway_address(o.gateway_address); !error.empty()) return error;
  if (!raw.port.empty()) {
    const auto port = base::parse_port(raw.port);
    if (!port) return fmt::format("--gateway-port: '{}' is not a port 1..65535", raw.port);
    o.gateway_port = *port;
  }
  if (!o.ns.empty() && !discovery::is_dns1123_label(o.ns)) {
    return fmt::format("--namespace: '{}' is not a namespace (a DNS-1123 label)", o.ns);
  }
  if (!o.network.empty() && !discovery::is_label_value(o.network)) {
    return fmt::format("--network: '{}' is not a network name (a Kubernetes label value)",
                       o.network);
  }
  if (raw.format != "yaml" && raw.format != "hosts") {
    return fmt::format("--format: '{}' is not yaml or hosts", raw.format);
  }
  o.format = raw.format == "hosts" ? GlobalEntriesFormat::kHosts : GlobalEntriesFormat::kYaml;
  return "";
}

// The config (embedded default when `file` is empty) and a snapshot of its
// registry files, read once, as `meshgate dns-hosts` does.
}  // namespace

std::string_view protocol_for_port_name(std::string_view name) {
  const std::string prefix = lower(name.substr(0, name.find('-')));
  if (lower(name).starts_with("grpc-web")) return "GRPC-WEB";
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 9> kProtocols{{
      {"http", "HTTP"},
      {"http2", "HTTP2"},
      {"https", "HTTPS"},
      {"grpc", "GRPC"},
      {"tcp", "TCP"},
      {"tls", "TLS"},
      {"mongo", "MONGO"},
      {"redis", "REDIS"},
      {"mysql", "MYSQL"},
  }};
  for (const auto& [word, protocol] : kProtocols) {
    if (prefix == word) return protocol;
  }
  return "TCP";
}

std::string global_entries_text(const config::Config& config, const discovery::Snapshot& snapshot,
                                const GlobalEntriesOptions& options) {
  const Collected collected = collect(config, snapshot);
  return options.format == GlobalEntriesFormat::kHosts ? hosts_text(snapshot, options, collected)
                                                       : yaml_text(snapshot, options, collected);
}

std::optional<GlobalEntriesOptions> parse_global_entries_args(std::span<const char* const> args,
                                                              std::string& error) {
  RawArgs raw;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view flag = args[i];
    std::string* target = value_flag(flag, raw);
    if (target == nullptr) {
      error = fmt::format("global-entries: unexpected argument '{}'", flag);
      return std::nullopt;
    }
    if (i + 1 == args.size()) {
      error = fmt::format("global-entries: {} needs a value", flag);
      return std::nullopt;
    }
    *target = args[++i];
  }
  if (error = check_raw(raw); !error.empty()) return std::nullopt;
  return raw.options;
}

const char* global_entries_usage() {
  return "  meshgate global-entries --gateway-address ADDR [--config FILE] [--gateway-port N]\n"
         "      [--namespace NS] [--network NAME] [--format yaml|hosts]\n"
         "                                                ServiceEntries for <name>.<ns>.global\n";
}

int print_global_entries(const GlobalEntriesOptions& options, std::ostream& out,
                         std::ostream& err) {
  const std::optional<RegistryOnce> loaded = load_registry_once(options.config_file, err);
  if (!loaded) return 1;
  out << global_entries_text(*loaded->config, *loaded->snapshot, options);
  return out.good() ? 0 : 1;
}

}  // namespace meshgate::onboarding

// The VM's files. Formats and values follow `istioctl x workload entry
// configure` (istioctl/pkg/workload/workload.go): createMeshConfig lays the
// group's proxy.istio.io/config annotations over the mesh config's
// defaultConfig and adds its metadata keys; mesh.yaml is that defaultConfig;
// createClusterEnv writes its proxyMetadata plus the capture settings into
// cluster.env as sorted KEY=value lines, values quoted as shellescape.Quote
// quotes them.
#include "onboarding/vm_files.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <utility>

#include "base/ip.h"
#include "config/names.h"
#include "discovery/names.h"

namespace meshgate::onboarding {
namespace {

using Metadata = std::map<std::string, std::string>;
using Errors = base::Errors;
using Warnings = std::vector<std::string>;

// Kept out of the VM's capture, as istioctl does: 22 so a broken sidecar
// never locks out ssh, 15090 (Envoy's Prometheus) and 15021 (health); then
// the agent's status port.
constexpr std::string_view kLocalExcludePorts = "22,15090,15021";
constexpr uint32_t kDefaultStatusPort = 15020;

// The settings after defaults, checks and the mesh config; what the writers
// below read.
struct Resolved {
  std::string network;
  std::string token;
  std::string root_cert;
  std::string istiod_host;
  std::string trust_domain;
  ProxyConfig config;  // the mesh's defaultConfig, the annotations over it, the flags
  std::string svc_ip;  // ISTIO_SVC_IP; "" for none
  bool v6 = false;
};

void check_token(const std::string& raw, Resolved& out, Errors& errors) {
  // A token file usually ends in a newline (kubectl create token prints one).
  std::string token = raw;
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r'))
    token.pop_back();
  if (token.empty()) {
    errors.push_back({"token", 0, "empty"});
  } else if (token.size() > kMaxTokenBytes) {
    errors.push_back({"token", 0, fmt::format("longer than {} bytes", kMaxTokenBytes)});
  } else if (token.find_first_of("\r\n") != std::string::npos) {
    errors.push_back({"token", 0, "has a line break inside; a token is one line"});
  } else if (!std::all_of(token.begin(), token.end(), [](char c) { return c > ' ' && c < 0x7f; })) {
    errors.push_back({"token", 0, "has spaces or characters outside printable ASCII"});
  }
  out.token = std::move(token);
}

void check_root_cert(const std::string& pem, Resolved& out, Errors& errors) {
  const size_t begin = pem.find("-----BEGIN CERTIFICATE-----");
  if (pem.size() > kMaxRootCertBytes) {
    errors.push_back({"root cert", 0, fmt::format("larger than {} bytes", kMaxRootCertBytes)});
  } else if (begin == std::string::npos ||
             pem.find("-----END CERTIFICATE-----", begin) == std::string::npos) {
    errors.push_back({"root cert", 0, "not a PEM certificate (no BEGIN/END CERTIFICATE lines)"});
  } else if (pem.find("PRIVATE KEY") != std::string::npos) {
    errors.push_back({"root cert", 0, "holds a private key; give the certificate only"});
  } else if (pem.find('\0') != std::string::npos) {
    errors.push_back({"root cert", 0, "has NUL bytes"});
  }
  out.root_cert = pem;
  if (!out.root_cert.empty() && out.root_cert.back() != '\n') out.root_cert += '\n';
}

// An IP literal that a host can have; "" when `text` is one, else the problem.
std::string ip_problem(const std::string& text) {
  const auto ip = base::parse_ip(text);
  if (!ip) return fmt::format("'{}' is not an IPv4 or IPv6 literal", text.substr(0, 64));
  if (ip->is_wildcard()) return "a wildcard address cannot be reached";
  return "";
}

void check_addresses(const VmSettings& s, Resolved& out, Errors& errors) {
  if (std::string problem = ip_problem(s.gateway_address); !problem.empty()) {
    errors.push_back({"gateway address", 0, std::move(problem)});
  } else {
    out.v6 = base::parse_ip(s.gateway_address)->v6;
  }
  if (!s.internal_ip.empty() && !s.external_ip.empty()) {
    errors.push_back({"internal ip, external ip", 0, "give one of the two"});
  }
  for (const auto& [ip, name] :
       {std::pair{&s.internal_ip, "internal ip"}, {&s.external_ip, "external ip"}}) {
    if (ip->empty()) continue;
    if (std::string problem = ip_problem(*ip); !problem.empty()) {
      errors.push_back({name, 0, std::move(problem)});
    }
    out.svc_ip = *ip;
  }
}

void check_istiod(const VmSettings& s, Resolved& out, Errors& errors) {
  if (!discovery::is_dns1123_label(s.istio_namespace)) {
    errors.push_back({"istio namespace", 0, "must be a DNS-1123 label"});
  }
  if (!s.revision.empty() && !discovery::is_dns1123_label(s.revision)) {
    errors.push_back({"revision", 0, "must be a DNS-1123 label (lowercase letters, digits, '-')"});
  }
  out.istiod_host = istiod_host_of(s);
  if (!discovery::is_dns_name(out.istiod_host)) {
    errors.push_back({"istiod host", 0, "must be a lowercase DNS name"});
  }
  if (s.istiod_port < 1 || s.istiod_port > 65535)
    errors.push_back({"istiod port", 0, "not 1..65535"});
  if (s.dns_port < 1 || s.dns_port > 65535) errors.push_back({"dns port", 0, "not 1..65535"});
}

// A flag that stands in for a mesh config field: it fills the field when the
// mesh config has none, and must agree with it when it has one.
void merge_flag(const std::string& flag, std::string& field, std::string_view what,
                std::string_view mesh_field, Errors& errors) {
  if (flag.empty()) return;
  if (!field.empty() && field != flag) {
    errors.push_back(
        {std::string(what), 0,
         fmt::format("'{}' differs from the mesh config's {} '{}'", flag, mesh_field, field)});
  }
  field = flag;
}

void check_ids(const WorkloadGroup& group, const VmSettings& s, Resolved& out, Errors& errors) {
  if (s.cluster_id.empty()) {
    errors.push_back({"cluster id", 0, "missing (give --cluster-id, or read it from the cluster)"});
  } else if (!is_plain_id(s.cluster_id)) {
    errors.push_back({"cluster id", 0, "must be letters, digits, '.', '-' or '_'"});
  }
  if (!s.trust_domain.empty() && !is_trust_domain(s.trust_domain)) {
    errors.push_back({"trust domain", 0, "must be lowercase letters, digits, '.', '-' or '_'"});
  }
  if (!s.mesh_id.empty() && !is_plain_id(s.mesh_id)) {
    errors.push_back({"mesh id", 0, "must be letters, digits, '.', '-' or '_'"});
  }
  out.trust_domain = s.mesh.trust_domain;
  merge_flag(s.trust_domain, out.trust_domain, "trust domain", "trustDomain", errors);
  std::string mesh_id = out.config.mesh_id.value_or("");
  merge_flag(s.mesh_id, mesh_id, "mesh id", "defaultConfig.meshId", errors);
  if (!mesh_id.empty()) out.config.mesh_id = mesh_id;
  if (!s.network.empty() && !group.network.empty() && s.network != group.network) {
    errors.push_back(
        {"network", 0,
         fmt::format("'{}' differs from the WorkloadGroup's '{}'", s.network, group.network)});
  }
  out.network = s.network.empty() ? group.network : s.network;
  if (!config::is_label_value(out.network)) {
    errors.push_back(
        {"network", 0, "must be a label value (up to 63 letters, digits, '-', '_', '.')"});
  }
}

// defaultConfig.discoveryAddress: --istiod-host when given; else the mesh
// config's (or an annotation's); else istiod's name in hosts, port 15012.
// (istioctl writes that last one only for a revision, and otherwise leaves
// the agent's default, istiod.istio-system.svc:15012: the same value for
// istio-system.)
void resolve_discovery_address(const VmSettings& s, Resolved& r, Warnings& warnings) {
  const std::string ours = fmt::format("{}:{}", r.istiod_host, s.istiod_port);
  std::optional<std::string>& address = r.config.discovery_address;
  if (!s.istiod_host.empty() || !address || address->empty()) {
    address = ours;
  } else if (address->substr(0, address->rfind(':')) != r.istiod_host) {
    warnings.push_back(fmt::format(
        "defaultConfig.discoveryAddress {} is not {}, the name hosts maps to the gateway: the VM "
        "must resolve it some other way",
        *address, r.istiod_host));
  }
}

Resolved resolve(const WorkloadGroup& group, const VmSettings& s, Errors& errors,
                 Warnings& warnings) {
  Resolved out;
  out.config = s.mesh.default_config;
  for (const ProxyConfig& annotation : group.proxy_configs)
    apply_proxy_config(out.config, annotation);
  check_addresses(s, out, errors);
  check_istiod(s, out, errors);
  check_ids(group, s, out, errors);
  check_root_cert(s.root_cert_pem, out, errors);
  check_token(s.token, out, errors);
  if (errors.empty()) resolve_discovery_address(s, out, warnings);
  return out;
}

// service.istio.io/canonical-name, else app.kubernetes.io/name, else app,
// else the group's name; revision likewise, else "latest" (Istio's
// pkg/kube/labels CanonicalService).
std::pair<std::string, std::string> canonical_service(const WorkloadGroup& group) {
  auto first = [&](std::initializer_list<const char*> keys) -> const std::string* {
    for (const char* key : keys) {
      if (auto it = group.labels.find(key); it != group.labels.end()) return &it->second;
    }
    return nullptr;
  };
  const std::string* name =
      first({"service.istio.io/canonical-name", "app.kubernetes.io/name", "app"});
  const std::string* revision =
      first({"service.istio.io/canonical-revision", "app.kubernetes.io/version", "version"});
  return {name ? *name : group.name, revision ? *revision : "latest"};
}

// ISTIO_META_POD_PORTS: Istio's PodPort list, sorted by name; each entry has
// name, containerPort and an empty protocol, in that order.
std::string pod_ports_json(const WorkloadGroup& group) {
  nlohmann::ordered_json ports = nlohmann::ordered_json::array();
  for (const auto& [name, number] : group.ports) {  // std::map: sorted by name
    ports.push_back({{"name", name}, {"containerPort", number}, {"protocol", ""}});
  }
  return ports.dump();
}

// defaultConfig.proxyMetadata: the mesh's and the annotations' entries, then
// the keys createMeshConfig sets over them.
Metadata proxy_metadata(const WorkloadGroup& group, const VmSettings& s, const Resolved& r) {
  Metadata md = r.config.proxy_metadata.value_or(Metadata{});
  const auto [service, revision] = canonical_service(group);
  md["CANONICAL_SERVICE"] = service;
  md["CANONICAL_REVISION"] = revision;
  md["POD_NAMESPACE"] = group.ns;
  md["SERVICE_ACCOUNT"] = group.service_account;
  md["TRUST_DOMAIN"] = r.trust_domain;
  md["ISTIO_META_CLUSTER_ID"] = s.cluster_id;
  md["ISTIO_META_MESH_ID"] = r.config.mesh_id.value_or("");
  md["ISTIO_META_NETWORK"] = r.network;
  if (!group.ports.empty()) md["ISTIO_META_POD_PORTS"] = pod_ports_json(group);
  md["ISTIO_META_WORKLOAD_NAME"] = group.name;
  // The labels the proxy reports: the group's, with the canonical pair set.
  std::map<std::string, std::string> labels = group.labels;
  labels["service.istio.io/canonical-name"] = service;
  labels["service.istio.io/canonical-revision"] = revision;
  md["ISTIO_METAJSON_LABELS"] = nlohmann::json(labels).dump();
  md["ISTIO_META_DNS_CAPTURE"] = "true";  // istioctl's --capture-dns default
  if (s.autoregister) md["ISTIO_META_AUTO_REGISTER_GROUP"] = group.name;
  return md;
}

// 22,15090,15021 and the agent's status port unless it is one of those.
std::string local_exclude_ports(const ProxyConfig& config) {
  const uint32_t status = config.status_port.value_or(0);
  if (status == 15090 || status == 15021) return std::string(kLocalExcludePorts);
  return fmt::format("{},{}", kLocalExcludePorts, status == 0 ? kDefaultStatusPort : status);
}

// cluster.env = the proxy metadata plus createClusterEnv's overrides.
Metadata cluster_env_values(const WorkloadGroup& group, const VmSettings& s, const Resolved& r,
                            Metadata md) {
  std::string inbound;
  for (const auto& [name, number] : group.ports) {
    inbound += (inbound.empty() ? "" : ",") + std::to_string(number);
  }
  md["ISTIO_INBOUND_PORTS"] = inbound.empty() ? "*" : inbound;  // no ports: capture all
  md["ISTIO_NAMESPACE"] = group.ns;
  md["ISTIO_SERVICE"] = group.name + "." + group.ns;
  md["ISTIO_SERVICE_CIDR"] = "*";
  md["ISTIO_LOCAL_EXCLUDE_PORTS"] = local_exclude_ports(r.config);
  md["SERVICE_ACCOUNT"] = group.service_account;
  if (is_revisioned(s.revision)) md["CA_ADDR"] = fmt::format("{}:{}", r.istiod_host, s.istiod_port);
  if (!r.svc_ip.empty()) md["ISTIO_SVC_IP"] = r.svc_ip;
  if (!s.external_ip.empty()) md["REWRITE_PROBE_LEGACY_LOCALHOST_DESTINATION"] = "true";
  return md;
}

// shellescape.Quote: bare when every character is one of w@%+=:,./- ,
// else single-quoted. (istioctl's class also lets a backslash through bare;
// here it is quoted, so a shell never reads it as an escape.)
std::string shell_quote(const std::string& value) {
  const bool bare = !value.empty() && value.find_first_not_of("w@%+=:,./-") == std::string::npos;
  return bare ? value : "'" + value + "'";
}

// The agent's env file is read by a shell: lines sorted as whole lines, like
// sort.Strings; a key or value a shell could misread is refused (the
// readers upstream keep them out; this is the last guard).
std::string env_file(const Metadata& values, Errors& errors) {
  std::vector<std::string> lines;
  for (const auto& [key, value] : values) {
    if (!is_env_name(key)) {
      errors.push_back({key, 0, "not an environment variable name"});
    } else if (!is_env_value(value)) {
      errors.push_back(
          {key, 0, "value holds a quote, a line break or a character outside printable ASCII"});
    } else {
      lines.push_back(key + "=" + shell_quote(value));
    }
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const std::string& line : lines)
    out += line + "\n";
  return out;
}

// mesh.yaml: {defaultConfig: ...} with the fields istioctl's ToJSONMap
// keeps (non-empty ones), keys in go-yaml's order.
std::string mesh_yaml(const WorkloadGroup& group, const ProxyConfig& config, const Metadata& md) {
  std::map<std::string, YamlValue> fields = config.other;
  if (config.discovery_address) {
    fields["discoveryAddress"] = yaml_scalar(yaml_string(*config.discovery_address));
  }
  if (config.mesh_id && !config.mesh_id->empty()) {
    fields["meshId"] = yaml_scalar(yaml_string(*config.mesh_id));
  }
  if (config.status_port.value_or(0) != 0) {
    fields["statusPort"] = yaml_scalar(std::to_string(*config.status_port));
  }
  std::vector<std::string> keys;
  for (const auto& [key, value] : md)
    keys.push_back(key);
  sort_go_yaml(keys);
  YamlValue metadata;
  for (const std::string& key : keys)
    metadata.block += yaml_entry(key, yaml_scalar(yaml_string(md.at(key))), 0);
  fields["proxyMetadata"] = metadata;
  if (!group.probe_yaml.empty()) fields["readinessProbe"] = YamlValue{"", group.probe_yaml, false};
  keys.clear();
  for (const auto& [key, value] : fields)
    keys.push_back(key);
  sort_go_yaml(keys);
  std::string out = "defaultConfig:\n";
  for (const std::string& key : keys)
    out += yaml_entry(key, fields.at(key), 2);
  return out;
}

// systemd-resolved: a routing-only domain (~global) for the gateway's DNS.
// "address:port" needs systemd 246 or later, so port 53 is left implicit and
// older releases read the file too.
std::string resolved_conf(const VmSettings& s, const Resolved& r) {
  std::string server = s.gateway_address;
  if (s.dns_port != 53) {
    server = r.v6 ? fmt::format("[{}]:{}", server, s.dns_port)
                  : fmt::format("{}:{}", server, s.dns_port);
  }
  return fmt::format(
      "# meshgate vm-files: send .global names to the gateway's DNS.\n"
      "# Install as /etc/systemd/resolved.conf.d/meshgate-global.conf, then\n"
      "# systemctl restart systemd-resolved.\n"
      "[Resolve]\nDNS={}\nDomains=~global\n",
      server);
}

// dnsmasq: server=/domain/address#port; '#' takes the port for IPv6 too.
std::string dnsmasq_conf(const VmSettings& s) {
  return fmt::format(
      "# meshgate vm-files: send .global names to the gateway's DNS.\n"
      "server=/global/{}#{}\n",
      s.gateway_address, s.dns_port);
}

void add_warnings(const WorkloadGroup& group, const Resolved& r, Warnings& warnings) {
  if (group.template_labels) {
    warnings.push_back(
        "spec.template.labels: labels belong in spec.metadata.labels; the template's override "
        "them");
  }
  if (r.network.empty()) {
    warnings.push_back(
        "no network (--network or spec.template.network): the VM is taken to be on the "
        "cluster's network, and the gateway is not used for its traffic");
  }
}

}  // namespace

bool is_revisioned(std::string_view revision) {
  return !revision.empty() && revision != "default";
}

std::string istiod_host_of(const VmSettings& s) {
  if (!s.istiod_host.empty()) return s.istiod_host;
  return fmt::format("istiod{}{}.{}.svc", is_revisioned(s.revision) ? "-" : "",
                     is_revisioned(s.revision) ? s.revision : "", s.istio_namespace);
}

VmFilesResult make_vm_files(const WorkloadGroup& group, const VmSettings& settings) {
  VmFilesResult result;
  Resolved resolved = resolve(group, settings, result.errors, result.warnings);
  if (!result.ok()) return result;
  const Metadata md = proxy_metadata(group, settings, resolved);
  std::string env = env_file(cluster_env_values(group, settings, resolved, md), result.errors);
  if (!result.ok()) return result;
  add_warnings(group, resolved, result.warnings);
  result.files = {
      {"cluster.env", std::move(env), 0644},
      {"mesh.yaml", mesh_yaml(group, resolved.config, md), 0644},
      {"hosts", fmt::format("{} {}\n", settings.gateway_address, resolved.istiod_host), 0644},
      {"root-cert.pem", resolved.root_cert, 0644},
      {"istio-token", resolved.token, 0600},
      {"resolved.conf.d/meshgate-global.conf", resolved_conf(settings, resolved), 0644},
      {"dnsmasq.d/meshgate-global.conf", dnsmasq_conf(settings), 0644},
  };
  return result;
}

const VmFile* find_vm_file(const VmFilesResult& result, std::string_view name) {
  for (const VmFile& file : result.files) {
    if (file.name == name) return &file;
  }
  return nullptr;
}

}  // namespace meshgate::onboarding

// The VM's files. Formats mirror `istioctl x workload entry configure`
// (istioctl/pkg/workload/workload.go): the proxy metadata map is built the
// way its createMeshConfig builds it and goes both into mesh.yaml's
// defaultConfig.proxyMetadata and, with the cluster.env-only keys of its
// createClusterEnv, into cluster.env as sorted KEY='value' lines.
#include "onboarding/vm_files.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <tuple>
#include <utility>

#include "config/names.h"
#include "config/read_file.h"

namespace meshgate::onboarding {
namespace {

using Metadata = std::map<std::string, std::string>;

// Kept out of the VM's capture, as istioctl does: 22 so a broken sidecar
// never locks out ssh, 15090 (Envoy's Prometheus), 15021 (health) and 15020
// (the agent's status port, the default). Older istioctl releases wrote the
// list without 22.
constexpr std::string_view kLocalExcludePorts = "22,15090,15021,15020";

// Cluster IDs and mesh IDs are free-form in Istio; we keep them to characters
// that need no quoting anywhere they land (env file, YAML, node metadata).
bool is_plain_id(std::string_view text) {
  return !text.empty() && text.size() <= 253 && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

// SPIFFE trust domain characters: lowercase letters, digits, '.', '-', '_'.
bool is_trust_domain(std::string_view text) {
  return !text.empty() && text.size() <= 255 && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  });
}

// The settings after defaults and checks; what the writers below read.
struct Resolved {
  std::string network;
  std::string mesh_id;
  std::string token;
  std::string root_cert;
  bool v6 = false;
};

void check_token(const std::string& raw, Resolved& out, std::vector<std::string>& errors) {
  // A token file usually ends in a newline (kubectl create token prints one).
  std::string token = raw;
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r'))
    token.pop_back();
  if (token.empty()) {
    errors.push_back("token: empty");
  } else if (token.size() > kMaxTokenBytes) {
    errors.push_back(fmt::format("token: longer than {} bytes", kMaxTokenBytes));
  } else if (token.find_first_of("\r\n") != std::string::npos) {
    errors.push_back("token: has a line break inside; a token is one line");
  } else if (!std::all_of(token.begin(), token.end(), [](char c) { return c > ' ' && c < 0x7f; })) {
    errors.push_back("token: has spaces or characters outside printable ASCII");
  }
  out.token = std::move(token);
}

void check_root_cert(const std::string& pem, Resolved& out, std::vector<std::string>& errors) {
  const size_t begin = pem.find("-----BEGIN CERTIFICATE-----");
  if (pem.size() > kMaxRootCertBytes) {
    errors.push_back(fmt::format("root cert: larger than {} bytes", kMaxRootCertBytes));
  } else if (begin == std::string::npos ||
             pem.find("-----END CERTIFICATE-----", begin) == std::string::npos) {
    errors.push_back("root cert: not a PEM certificate (no BEGIN/END CERTIFICATE lines)");
  } else if (pem.find("PRIVATE KEY") != std::string::npos) {
    errors.push_back("root cert: holds a private key; give the certificate only");
  } else if (pem.find('\0') != std::string::npos) {
    errors.push_back("root cert: has NUL bytes");
  }
  out.root_cert = pem;
  if (!out.root_cert.empty() && out.root_cert.back() != '\n') out.root_cert += '\n';
}

void check_ids(const WorkloadGroup& group, const VmSettings& s, Resolved& out,
               std::vector<std::string>& errors) {
  if (!is_trust_domain(s.trust_domain)) {
    errors.push_back("trust domain: must be lowercase letters, digits, '.', '-' or '_'");
  }
  if (!is_plain_id(s.cluster_id)) {
    errors.push_back("cluster id: must be letters, digits, '.', '-' or '_'");
  }
  out.mesh_id = s.mesh_id.empty() ? s.trust_domain : s.mesh_id;
  if (!s.mesh_id.empty() && !is_plain_id(s.mesh_id)) {
    errors.push_back("mesh id: must be letters, digits, '.', '-' or '_'");
  }
  if (!s.network.empty() && !group.network.empty() && s.network != group.network) {
    errors.push_back(fmt::format("network: '{}' differs from the WorkloadGroup's '{}'", s.network,
                                 group.network));
  }
  out.network = s.network.empty() ? group.network : s.network;
  if (!is_label_value(out.network)) {
    errors.push_back("network: must be a label value (up to 63 letters, digits, '-', '_', '.')");
  }
}

Resolved check_settings(const WorkloadGroup& group, const VmSettings& s,
                        std::vector<std::string>& errors) {
  Resolved out;
  const auto ip = config::parse_ip(s.gateway_address);
  if (!ip) {
    errors.push_back(fmt::format("gateway address: '{}' is not an IPv4 or IPv6 literal",
                                 s.gateway_address.substr(0, 64)));
  } else if (ip->is_wildcard()) {
    errors.push_back("gateway address: a wildcard address cannot be reached");
  } else {
    out.v6 = ip->v6;
  }
  if (!is_dns1123_subdomain(s.istiod_host)) {
    errors.push_back("istiod host: must be a lowercase DNS name");
  }
  if (s.istiod_port < 1 || s.istiod_port > 65535) errors.push_back("istiod port: not 1..65535");
  if (s.dns_port < 1 || s.dns_port > 65535) errors.push_back("dns port: not 1..65535");
  check_ids(group, s, out, errors);
  check_root_cert(s.root_cert_pem, out, errors);
  check_token(s.token, out, errors);
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

// defaultConfig.proxyMetadata: what createMeshConfig puts there.
Metadata proxy_metadata(const WorkloadGroup& group, const VmSettings& s, const Resolved& r) {
  Metadata md;
  const auto [service, revision] = canonical_service(group);
  md["CANONICAL_SERVICE"] = service;
  md["CANONICAL_REVISION"] = revision;
  md["POD_NAMESPACE"] = group.ns;
  md["SERVICE_ACCOUNT"] = group.service_account;
  md["TRUST_DOMAIN"] = s.trust_domain;
  md["ISTIO_META_CLUSTER_ID"] = s.cluster_id;
  md["ISTIO_META_MESH_ID"] = r.mesh_id;
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

// cluster.env = the proxy metadata plus createClusterEnv's overrides.
Metadata cluster_env_values(const WorkloadGroup& group, Metadata md) {
  std::string inbound;
  for (const auto& [name, number] : group.ports) {
    inbound += (inbound.empty() ? "" : ",") + std::to_string(number);
  }
  md["ISTIO_INBOUND_PORTS"] = inbound.empty() ? "*" : inbound;  // no ports: capture all
  md["ISTIO_NAMESPACE"] = group.ns;
  md["ISTIO_SERVICE"] = group.name + "." + group.ns;
  md["ISTIO_SERVICE_CIDR"] = "*";
  md["ISTIO_LOCAL_EXCLUDE_PORTS"] = std::string(kLocalExcludePorts);
  md["SERVICE_ACCOUNT"] = group.service_account;
  return md;
}

// The agent's env file is read by a shell: every value single-quoted, so a
// value must not hold a quote or a line break (validation upstream keeps
// them out; this is the last guard).
std::string env_file(const Metadata& values, std::vector<std::string>& errors) {
  std::string out;
  for (const auto& [key, value] : values) {  // std::map: sorted, like sort.Strings
    if (value.find_first_of("'\n\r") != std::string::npos) {
      errors.push_back(fmt::format("{}: value holds a quote or line break", key));
      continue;
    }
    out += fmt::format("{}='{}'\n", key, value);
  }
  return out;
}

std::string mesh_yaml(const WorkloadGroup& group, const VmSettings& s, const Metadata& md) {
  std::string out = "defaultConfig:\n";
  out += fmt::format("  discoveryAddress: {}:{}\n", s.istiod_host, s.istiod_port);
  out += "  proxyMetadata:\n";
  for (const auto& [key, value] : md)
    out += fmt::format("    {}: {}\n", key, yaml_string(value));
  if (!group.probe_yaml.empty()) {
    out += "  readinessProbe:\n";
    // Each '\n'-terminated probe line, indented under readinessProbe.
    size_t start = 0;
    while (start < group.probe_yaml.size()) {
      size_t end = group.probe_yaml.find('\n', start);
      if (end == std::string::npos) end = group.probe_yaml.size() - 1;
      out += "    " + group.probe_yaml.substr(start, end - start + 1);
      start = end + 1;
    }
  }
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

}  // namespace

VmFilesResult make_vm_files(const WorkloadGroup& group, const VmSettings& settings) {
  VmFilesResult result;
  const Resolved resolved = check_settings(group, settings, result.errors);
  if (!result.ok()) return result;
  const Metadata md = proxy_metadata(group, settings, resolved);
  std::string env = env_file(cluster_env_values(group, md), result.errors);
  if (!result.ok()) return result;
  if (group.has_proxy_config_annotation) {
    result.warnings.push_back(
        "the proxy.istio.io/config annotation is not merged into mesh.yaml; edit it by hand");
  }
  if (resolved.network.empty()) {
    result.warnings.push_back(
        "no network (--network or spec.template.network): the VM is taken to be on the "
        "cluster's network, and the gateway is not used for its traffic");
  }
  result.files = {
      {"cluster.env", std::move(env), 0644},
      {"mesh.yaml", mesh_yaml(group, settings, md), 0644},
      {"hosts", fmt::format("{} {}\n", settings.gateway_address, settings.istiod_host), 0644},
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

// --- `meshgate vm-files` ----------------------------------------------------

namespace {

std::optional<uint32_t> parse_port(std::string_view text) {
  uint32_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1 || value > 65535) {
    return std::nullopt;
  }
  return value;
}

bool parse_token_seconds(std::string_view text, int64_t& seconds, std::string& error) {
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  // The API server refuses under 10 minutes; over a day is no VM's business.
  if (ec != std::errc() || end != text.data() + text.size() || value < 600 || value > 86'400) {
    error = fmt::format("--token-duration: '{}' is not a number of seconds 600..86400", text);
    return false;
  }
  seconds = value;
  return true;
}

// The flag's string destination in `o`, or nullptr for flags without one.
std::string* string_flag(std::string_view flag, VmFilesOptions& o) {
  if (flag == "--workload-group") return &o.workload_group_file;
  if (flag == "--root-cert") return &o.root_cert_file;
  if (flag == "--token") return &o.token_file;
  if (flag == "--out") return &o.out_dir;
  if (flag == "--gateway-address") return &o.settings.gateway_address;
  if (flag == "--trust-domain") return &o.settings.trust_domain;
  if (flag == "--cluster-id") return &o.settings.cluster_id;
  if (flag == "--network") return &o.settings.network;
  if (flag == "--mesh-id") return &o.settings.mesh_id;
  if (flag == "--istiod-host") return &o.settings.istiod_host;
  if (flag == "--kubeconfig") return &o.kubeconfig;
  return nullptr;
}

// A one-shot command: a pipe or /dev/stdin is as good as a file.
std::string read_input(const std::string& path, size_t max_bytes, std::string& content) {
  config::FileRead read = config::read_bounded_file(path, max_bytes, config::FileKind::kAny);
  if (!read.ok()) return fmt::format("{}: {}", path, config::describe(read, max_bytes));
  content = std::move(read.content);
  return "";
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Temporary file beside the target, so the rename is atomic and a reader
// sees the old file or the new one, never half of one.
std::string write_one(const std::filesystem::path& target, const VmFile& file) {
  std::error_code ec;
  std::filesystem::create_directories(target.parent_path(), ec);
  if (ec) return fmt::format("{}: {}", target.parent_path().string(), ec.message());
  std::string temp =
      (target.parent_path() / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  const int fd = ::mkstemp(temp.data());  // created 0600: the token is never readable
  if (fd < 0) return fmt::format("{}: {}", temp, std::strerror(errno));
  bool ok = ::fchmod(fd, static_cast<mode_t>(file.mode)) == 0 && write_all(fd, file.content) &&
            ::fsync(fd) == 0;
  int error = errno;
  if (::close(fd) != 0 && ok) {
    ok = false;
    error = errno;
  }
  if (ok && std::rename(temp.c_str(), target.c_str()) != 0) {
    ok = false;
    error = errno;
  }
  if (!ok) {
    ::unlink(temp.c_str());
    return fmt::format("{}: {}", target.string(), std::strerror(error));
  }
  return "";
}

bool request_token(const VmFilesOptions& options, const WorkloadGroup& group, std::string& token,
                   std::ostream& err) {
  if (!options.fetch_token) {
    err << "vm-files: --token-request is not available here\n";
    return false;
  }
  std::string error;
  token = options.fetch_token(group.ns, group.service_account, options.token_seconds, &error);
  if (token.empty()) {
    err << fmt::format("vm-files: TokenRequest for service account {}/{}: {}\n", group.ns,
                       group.service_account, error.empty() ? "no token" : error);
    return false;
  }
  return true;
}

// Makes the renames durable; a failure here loses nothing already written.
void sync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

const char* vm_files_usage() {
  return "  meshgate vm-files --workload-group FILE --gateway-address IP --root-cert FILE\n"
         "      (--token FILE | --token-request [--kubeconfig F] [--token-duration SECONDS])\n"
         "      --out DIR [--trust-domain D] [--cluster-id C] [--network N]\n"
         "      [--mesh-id M] [--dns-port P] [--istiod-host H] [--autoregister]\n"
         "                                                write a VM's mesh files into DIR\n";
}

std::optional<VmFilesOptions> parse_vm_files_args(std::span<const char* const> args,
                                                  std::string& error) {
  VmFilesOptions o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string_view flag = args[i];
    const bool has_value = i + 1 < args.size();
    if (flag == "--autoregister") {
      o.settings.autoregister = true;
    } else if (flag == "--token-request") {
      o.token_request = true;
    } else if (flag == "--token-duration" && has_value) {
      if (!parse_token_seconds(args[++i], o.token_seconds, error)) return std::nullopt;
    } else if (std::string* target = string_flag(flag, o); target && has_value) {
      *target = args[++i];
    } else if (flag == "--dns-port" && has_value) {
      const auto port = parse_port(args[++i]);
      if (!port) {
        error = fmt::format("--dns-port: '{}' is not a port 1..65535", args[i]);
        return std::nullopt;
      }
      o.settings.dns_port = *port;
    } else {
      error = fmt::format("unexpected argument '{}'", flag);
      return std::nullopt;
    }
  }
  for (const auto& [value, flag] : {std::pair{&o.workload_group_file, "--workload-group"},
                                    {&o.settings.gateway_address, "--gateway-address"},
                                    {&o.root_cert_file, "--root-cert"},
                                    {&o.out_dir, "--out"}}) {
    if (value->empty()) {
      error = fmt::format("vm-files: missing {}", flag);
      return std::nullopt;
    }
  }
  if (o.token_request == !o.token_file.empty()) {
    error = "vm-files: give exactly one of --token FILE and --token-request";
    return std::nullopt;
  }
  if (!o.token_request && !o.kubeconfig.empty()) {
    error = "vm-files: --kubeconfig goes with --token-request";
    return std::nullopt;
  }
  return o;
}

std::string write_vm_files(const std::string& dir, const std::vector<VmFile>& files) {
  const std::filesystem::path root(dir);
  for (const VmFile& file : files) {
    if (std::string error = write_one(root / file.name, file); !error.empty()) return error;
  }
  sync_directory(root);
  return "";
}

int run_vm_files(const VmFilesOptions& options, std::ostream& out, std::ostream& err) {
  std::string group_text;
  VmSettings settings = options.settings;
  for (const auto& [path, max, content] :
       {std::tuple{&options.workload_group_file, kMaxWorkloadGroupBytes, &group_text},
        {&options.root_cert_file, kMaxRootCertBytes, &settings.root_cert_pem},
        // Room for the trailing newline a token file usually has.
        {&options.token_file, kMaxTokenBytes + 2, &settings.token}}) {
    if (path->empty()) continue;  // --token-request: no token file
    if (const std::string error = read_input(*path, max, *content); !error.empty()) {
      err << error << "\n";
      return 1;
    }
  }
  const WorkloadGroupResult group = parse_workload_group(group_text);
  for (const std::string& error : group.errors) {
    err << options.workload_group_file << ": " << error << "\n";
  }
  if (!group.ok()) return 1;
  if (options.token_request && !request_token(options, *group.group, settings.token, err)) {
    return 1;
  }
  const VmFilesResult result = make_vm_files(*group.group, settings);
  for (const std::string& error : result.errors)
    err << "vm-files: " << error << "\n";
  if (!result.ok()) return 1;
  for (const std::string& warning : result.warnings)
    err << "warning: " << warning << "\n";
  if (const std::string error = write_vm_files(options.out_dir, result.files); !error.empty()) {
    err << "vm-files: " << error << "\n";
    return 1;
  }
  for (const VmFile& file : result.files) {
    out << fmt::format("wrote {} ({:04o})\n",
                       (std::filesystem::path(options.out_dir) / file.name).string(), file.mode);
  }
  return 0;
}

}  // namespace meshgate::onboarding

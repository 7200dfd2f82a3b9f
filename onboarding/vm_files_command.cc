// `meshgate vm-files`: its flags, the bounded reads of its input files, the
// reads from the cluster for what the flags leave open, and the atomic
// writes of the files make_vm_files makes.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <tuple>
#include <utility>

#include "base/ip.h"
#include "base/read_file.h"
#include "discovery/names.h"
#include "onboarding/vm_files.h"

namespace meshgate::onboarding {
namespace {

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
  static constexpr std::pair<std::string_view, std::string VmFilesOptions::*> kFiles[] = {
      {"--workload-group", &VmFilesOptions::workload_group_file},
      {"--root-cert", &VmFilesOptions::root_cert_file},
      {"--token", &VmFilesOptions::token_file},
      {"--mesh-config", &VmFilesOptions::mesh_config_file},
      {"--out", &VmFilesOptions::out_dir},
      {"--kubeconfig", &VmFilesOptions::kubeconfig}};
  static constexpr std::pair<std::string_view, std::string VmSettings::*> kSettings[] = {
      {"--gateway-address", &VmSettings::gateway_address},
      {"--trust-domain", &VmSettings::trust_domain},
      {"--cluster-id", &VmSettings::cluster_id},
      {"--network", &VmSettings::network},
      {"--mesh-id", &VmSettings::mesh_id},
      {"--istio-namespace", &VmSettings::istio_namespace},
      {"--revision", &VmSettings::revision},
      {"--istiod-host", &VmSettings::istiod_host},
      {"--internal-ip", &VmSettings::internal_ip},
      {"--external-ip", &VmSettings::external_ip}};
  for (const auto& [name, member] : kFiles) {
    if (flag == name) return &(o.*member);
  }
  for (const auto& [name, member] : kSettings) {
    if (flag == name) return &(o.settings.*member);
  }
  return nullptr;
}

// One flag at args[i] (and its value, moving i past it). False with `error`.
bool parse_flag(std::span<const char* const> args, size_t& i, VmFilesOptions& o,
                std::string& error) {
  const std::string_view flag = args[i];
  const bool has_value = i + 1 < args.size();
  if (flag == "--autoregister") {
    o.settings.autoregister = true;
  } else if (flag == "--token-request") {
    o.token_request = true;
  } else if (flag == "--from-cluster") {
    o.from_cluster = true;
  } else if (flag == "--token-duration" && has_value) {
    return parse_token_seconds(args[++i], o.token_seconds, error);
  } else if (std::string* target = string_flag(flag, o); target && has_value) {
    *target = args[++i];
  } else if (flag == "--dns-port" && has_value) {
    const auto port = base::parse_port(args[++i]);
    if (!port) {
      error = fmt::format("--dns-port: '{}' is not a port 1..65535", args[i]);
      return false;
    }
    o.settings.dns_port = *port;
  } else {
    error = fmt::format("unexpected argument '{}'", flag);
    return false;
  }
  return true;
}

// What must be given, given the other flags. False with `error`.
bool check_required(VmFilesOptions& o, std::string& error) {
  o.from_cluster = o.from_cluster || o.token_request || !o.kubeconfig.empty();
  for (const auto& [value, flag] : {std::pair{&o.workload_group_file, "--workload-group"},
                                    {&o.settings.gateway_address, "--gateway-address"},
                                    {&o.out_dir, "--out"}}) {
    if (value->empty()) {
      error = fmt::format("vm-files: missing {}", flag);
      return false;
    }
  }
  const char* problem = nullptr;
  if (o.token_request == !o.token_file.empty()) {
    problem = "give exactly one of --token FILE and --token-request";
  } else if (!o.settings.internal_ip.empty() && !o.settings.external_ip.empty()) {
    problem = "give at most one of --internal-ip and --external-ip";
  } else if (!o.from_cluster && o.settings.cluster_id.empty()) {
    problem =
        "no cluster ID: give --cluster-id (the CLUSTER_ID of istiod), or let vm-files read it "
        "from the cluster (--from-cluster, --kubeconfig or --token-request)";
  } else if (!o.from_cluster && o.root_cert_file.empty()) {
    problem = "missing --root-cert (or read it from the cluster: --from-cluster)";
  }
  if (problem) error = fmt::format("vm-files: {}", problem);
  return problem == nullptr;
}

// A one-shot command: a pipe or /dev/stdin is as good as a file.
std::string read_input(const std::string& path, size_t max_bytes, std::string& content) {
  base::FileRead read = base::read_bounded_file(path, max_bytes, base::FileKind::kAny);
  if (!read.ok()) return fmt::format("{}: {}", path, base::describe(read, max_bytes));
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

// Makes the renames durable; a failure here loses nothing already written.
void sync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
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

// The mesh config's text and where it came from (a file or a ConfigMap).
struct MeshSource {
  std::optional<std::string> text;
  std::string source;
};

bool read_files(const VmFilesOptions& options, std::string& group_text, VmSettings& settings,
                MeshSource& mesh, std::ostream& err) {
  std::string mesh_text;
  for (const auto& [path, max, content] :
       {std::tuple{&options.workload_group_file, kMaxWorkloadGroupBytes, &group_text},
        {&options.root_cert_file, kMaxRootCertBytes, &settings.root_cert_pem},
        // Room for the trailing newline a token file usually has.
        {&options.token_file, kMaxTokenBytes + 2, &settings.token},
        {&options.mesh_config_file, kMaxMeshConfigBytes, &mesh_text}}) {
    if (path->empty()) continue;  // a flag not given
    if (const std::string error = read_input(*path, max, *content); !error.empty()) {
      err << error << "\n";
      return false;
    }
  }
  if (!options.mesh_config_file.empty()) mesh = {mesh_text, options.mesh_config_file};
  return true;
}

// Reads from the cluster what neither a flag nor a file gave; says on `out`
// where each value came from.
bool read_cluster(const VmFilesOptions& options, const WorkloadGroup& group, VmSettings& settings,
                  MeshSource& mesh, std::ostream& out, std::ostream& err) {
  const ControlPlane plane{settings.istio_namespace, settings.revision};
  // They become parts of API paths.
  if (!discovery::is_dns1123_label(plane.ns) ||
      (!plane.revision.empty() && !discovery::is_dns1123_label(plane.revision))) {
    err << "vm-files: --istio-namespace and --revision must be DNS-1123 labels\n";
    return false;
  }
  const ObjectGetter get =
      options.get_object ? options.get_object : kubernetes_object_getter(options.kubeconfig);
  ClusterValue value;
  std::string error;
  if (settings.cluster_id.empty() && (error = read_cluster_id(get, plane, value)).empty()) {
    settings.cluster_id = value.value;
    out << fmt::format("cluster ID {}: from {}\n", value.value, value.source);
  }
  if (error.empty() && !mesh.text && (error = read_mesh_config(get, plane, value)).empty()) {
    mesh = {value.value, value.source};
    out << fmt::format("mesh config: from {}\n", value.source);
  }
  if (error.empty() && options.root_cert_file.empty() &&
      (error = read_root_cert(get, group.ns, value)).empty()) {
    settings.root_cert_pem = value.value;
    out << fmt::format("root certificate: from {}\n", value.source);
  }
  if (!error.empty()) err << "vm-files: " << error << "\n";
  return error.empty();
}

// The mesh config into settings; its errors are named by its source.
bool apply_mesh_config(const MeshSource& mesh, VmSettings& settings, std::ostream& err) {
  if (!mesh.text) return true;
  const MeshConfigResult parsed = parse_mesh_config(*mesh.text);
  for (const base::Error& error : parsed.errors)
    err << base::format_error(mesh.source, error) << "\n";
  if (!parsed.ok()) return false;
  settings.mesh = *parsed.mesh;
  return true;
}

// The files made from the inputs; exit code 0, or 1 after saying why not.
int make_and_write(const VmFilesOptions& options, const WorkloadGroup& group,
                   const VmSettings& settings, bool has_mesh, std::ostream& out,
                   std::ostream& err) {
  const VmFilesResult result = make_vm_files(group, settings);
  for (const base::Error& error : result.errors)
    err << "vm-files: " << base::describe(error) << "\n";
  if (!result.ok()) return 1;
  if (!has_mesh) {
    err << "warning: no mesh config (--mesh-config, or read from the cluster): TRUST_DOMAIN and "
           "ISTIO_META_MESH_ID are what --trust-domain and --mesh-id say (else empty), and "
           "mesh.yaml has nothing of the mesh's defaultConfig\n";
  }
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

}  // namespace

const char* vm_files_usage() {
  return "  meshgate vm-files --workload-group FILE --gateway-address IP --out DIR\n"
         "      (--token FILE | --token-request [--token-duration SECONDS])\n"
         "      [--from-cluster] [--kubeconfig F] [--cluster-id C] [--mesh-config FILE]\n"
         "      [--root-cert FILE] [--istio-namespace NS] [--revision REV]\n"
         "      [--trust-domain D] [--mesh-id M] [--network N] [--istiod-host H]\n"
         "      [--internal-ip IP | --external-ip IP] [--dns-port P] [--autoregister]\n"
         "                                                write a VM's mesh files into DIR\n";
}

std::optional<VmFilesOptions> parse_vm_files_args(std::span<const char* const> args,
                                                  std::string& error) {
  VmFilesOptions o;
  for (size_t i = 0; i < args.size(); ++i) {
    if (!parse_flag(args, i, o, error)) return std::nullopt;
  }
  if (!check_required(o, error)) return std::nullopt;
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
  MeshSource mesh;
  if (!read_files(options, group_text, settings, mesh, err)) return 1;
  const WorkloadGroupResult group = parse_workload_group(group_text);
  for (const base::Error& error : group.errors)
    err << base::format_error(options.workload_group_file, error) << "\n";
  if (!group.ok()) return 1;
  const bool mesh_from_file = mesh.text.has_value();
  if (mesh_from_file && !apply_mesh_config(mesh, settings, err)) return 1;
  if (options.from_cluster && !read_cluster(options, *group.group, settings, mesh, out, err)) {
    return 1;
  }
  if (!mesh_from_file && !apply_mesh_config(mesh, settings, err)) return 1;
  // After the reads: a failed read mints no credential.
  if (options.token_request && !request_token(options, *group.group, settings.token, err)) {
    return 1;
  }
  return make_and_write(options, *group.group, settings, mesh.text.has_value(), out, err);
}

}  // namespace meshgate::onboarding

#include "discovery/kubernetes/kubeconfig.h"

#include "base/read_file.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <system_error>
#include <utility>
#include <vector>

namespace meshgate::discovery::kube {
namespace {

// A kubeconfig, a CA bundle or a client key is a few kilobytes at most.
constexpr size_t kMaxKubeconfigBytes = 1 << 20;

constexpr const char* kServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

// What is wrong with the kubeconfig, without the file's name (added at the
// public boundary). Thrown only while parsing, never past this file.
struct Invalid : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void invalid(const std::string& message) {
  throw Invalid(message);
}

// The whole of `file` (bounded), or why not as "<what> <file>: <reason>".
std::string read_required(const std::string& file, const std::string& what) {
  base::FileRead r = base::read_bounded_file(file, kMaxKubeconfigBytes);
  if (!r.ok()) {
    invalid(
        fmt::format("cannot read {} {}: {}", what, file, base::describe(r, kMaxKubeconfigBytes)));
  }
  return std::move(r.content);
}

std::string resolve(const std::string& dir, const std::string& file) {
  if (file.empty() || file.front() == '/' || dir.empty()) return file;
  return dir + "/" + file;
}

std::string directory_of(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return "";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Standard base64 with padding, as kubeconfig *-data fields hold; the result
// is the exact bytes (EVP_DecodeBlock counts '=' padding as zero bytes).
std::string decode_base64(const std::string& text, const std::string& where) {
  std::string in;
  in.reserve(text.size());
  for (char c : text) {
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') in.push_back(c);
  }
  // '=' only as padding at the very end (EVP_DecodeBlock does not check).
  size_t pad = in.find('=');
  bool bad_pad = pad != std::string::npos &&
                 (pad + 2 < in.size() || in.find_first_not_of('=', pad) != std::string::npos);
  if (in.empty() || in.size() % 4 != 0 || bad_pad) invalid(where + ": invalid base64");
  std::vector<unsigned char> out(in.size() / 4 * 3);
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0) invalid(where + ": invalid base64");
  size_t padding = 0;
  if (in.back() == '=') ++padding;
  if (in[in.size() - 2] == '=') ++padding;
  size_t length = static_cast<size_t>(n) - padding;
  return std::string(reinterpret_cast<const char*>(out.data()), length);
}

// The parse of one file: its directory for relative paths.
class Parser {
 public:
  explicit Parser(const std::string& path) : dir_(directory_of(path)) {}

  ApiAccess parse(const YAML::Node& root) const;

 private:
  static void require_map(const YAML::Node& node, const std::string& where) {
    if (!node.IsMap()) invalid(where + ": expected a map");
  }
  static std::string string_at(const YAML::Node& map, const char* key, const std::string& where);
  static bool bool_at(const YAML::Node& map, const char* key, const std::string& where);
  static std::pair<YAML::Node, std::string> find_named(const YAML::Node& root, const char* list,
                                                       const char* inner, const std::string& name);
  // A PEM from `<key>-data` (base64) or the file `<key>`; empty if neither.
  std::string pem_at(const YAML::Node& map, const std::string& key, const std::string& where) const;
  void read_cluster(const YAML::Node& root, const std::string& name, ApiAccess& out) const;
  void read_user(const YAML::Node& root, const std::string& name, ApiAccess& out) const;

  std::string dir_;
};

std::string Parser::string_at(const YAML::Node& map, const char* key, const std::string& where) {
  const YAML::Node node = map[key];
  if (!node || node.IsNull()) return "";
  if (!node.IsScalar()) invalid(fmt::format("{}.{}: expected a string", where, key));
  return node.Scalar();
}

bool Parser::bool_at(const YAML::Node& map, const char* key, const std::string& where) {
  const YAML::Node node = map[key];
  if (!node || node.IsNull()) return false;
  bool value = false;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
    invalid(fmt::format("{}.{}: expected true or false", where, key));
  }
  return value;
}

// The `inner` map of the entry of `list` named `name`, and its key path.
std::pair<YAML::Node, std::string> Parser::find_named(const YAML::Node& root, const char* list,
                                                      const char* inner, const std::string& name) {
  const YAML::Node entries = root[list];
  if (entries && !entries.IsNull() && !entries.IsSequence()) {
    invalid(fmt::format("{}: expected a list", list));
  }
  for (size_t i = 0; entries && i < entries.size(); ++i) {
    std::string where = fmt::format("{}[{}]", list, i);
    const YAML::Node entry = entries[i];
    require_map(entry, where);
    if (string_at(entry, "name", where) != name) continue;
    std::string inner_where = where + "." + inner;
    const YAML::Node value = entry[inner];
    if (!value || value.IsNull()) return {YAML::Node(YAML::NodeType::Map), inner_where};
    require_map(value, inner_where);
    return {value, inner_where};
  }
  std::string kind(list);
  kind.pop_back();  // "clusters" -> "cluster"
  invalid(fmt::format("{} \"{}\" not found in {}", kind, name, list));
}

std::string Parser::pem_at(const YAML::Node& map, const std::string& key,
                           const std::string& where) const {
  std::string data_key = key + "-data";
  std::string data = string_at(map, data_key.c_str(), where);
  if (!data.empty()) return decode_base64(data, where + "." + data_key);
  std::string file = string_at(map, key.c_str(), where);
  if (file.empty()) return "";
  return read_required(resolve(dir_, file), where + "." + key);
}

void Parser::read_cluster(const YAML::Node& root, const std::string& name, ApiAccess& out) const {
  auto [cluster, where] = find_named(root, "clusters", "cluster", name);
  out.server = string_at(cluster, "server", where);
  if (out.server.empty()) invalid(fmt::format("cluster \"{}\": server missing", name));
  if (out.server.rfind("https://", 0) != 0) {
    invalid(fmt::format("cluster \"{}\": server \"{}\" is not https://", name, out.server));
  }
  out.ca_pem = pem_at(cluster, "certificate-authority", where);
  out.insecure = bool_at(cluster, "insecure-skip-tls-verify", where);
  out.tls_server_name = string_at(cluster, "tls-server-name", where);
}

void Parser::read_user(const YAML::Node& root, const std::string& name, ApiAccess& out) const {
  auto [user, where] = find_named(root, "users", "user", name);
  if (user["exec"] || user["auth-provider"]) {
    invalid(fmt::format(
        "user {}: exec and auth-provider credentials are not supported; use a token or a "
        "client certificate",
        name));
  }
  out.token = string_at(user, "token", where);
  std::string token_file = string_at(user, "tokenFile", where);
  if (!token_file.empty()) {
    out.token_file = resolve(dir_, token_file);
    read_required(out.token_file, where + ".tokenFile");  // readable now
  }
  out.client_cert_pem = pem_at(user, "client-certificate", where);
  out.client_key_pem = pem_at(user, "client-key", where);
  if (out.client_cert_pem.empty() != out.client_key_pem.empty()) {
    invalid(
        fmt::format("user {}: a client certificate needs both client-certificate and "
                    "client-key (or their -data forms)",
                    name));
  }
}

ApiAccess Parser::parse(const YAML::Node& root) const {
  if (!root.IsMap()) invalid("not a kubeconfig (expected a map at the top)");
  std::string current = string_at(root, "current-context", "current-context");
  if (current.empty()) invalid("no current-context");
  auto [context, where] = find_named(root, "contexts", "context", current);
  std::string cluster = string_at(context, "cluster", where);
  std::string user = string_at(context, "user", where);
  if (cluster.empty()) invalid(fmt::format("context \"{}\" names no cluster", current));
  ApiAccess out;
  read_cluster(root, cluster, out);
  if (!user.empty()) read_user(root, user, out);  // no user: anonymous
  return out;
}

bool valid_port(std::string_view port) {
  if (port.empty() || port.size() > 5) return false;
  unsigned value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value >= 1 && value <= 65535;
}

AccessResult failure(std::string error) {
  AccessResult r;
  r.error = std::move(error);
  return r;
}

}  // namespace

AccessResult parse_kubeconfig(std::string_view text, const std::string& path) {
  try {
    YAML::Node root = YAML::Load(std::string(text));
    AccessResult r;
    r.access = Parser(path).parse(root);
    return r;
  } catch (const Invalid& e) {
    return failure(fmt::format("{}: {}", path, e.what()));
  } catch (const YAML::Exception& e) {
    return failure(fmt::format("{}: {}", path, e.what()));
  } catch (const std::exception& e) {
    return failure(fmt::format("{}: {}", path, e.what()));
  }
}

AccessResult load_kubeconfig(const std::string& path) {
  base::FileRead r = base::read_bounded_file(path, kMaxKubeconfigBytes);
  if (!r.ok()) {
    return failure(fmt::format("{}: {}", path, base::describe(r, kMaxKubeconfigBytes)));
  }
  return parse_kubeconfig(r.content, path);
}

AccessResult in_cluster_access(std::string_view host, std::string_view port,
                               const std::string& dir) {
  if (host.empty() || port.empty()) {
    return failure("not running in a pod (KUBERNETES_SERVICE_HOST/PORT unset)");
  }
  if (!valid_port(port)) {
    return failure(fmt::format("KUBERNETES_SERVICE_PORT \"{}\" is not a port", port));
  }
  bool bracket = host.find(':') != std::string_view::npos && host.front() != '[';
  ApiAccess a;
  if (bracket) {
    a.server = fmt::format("https://[{}]:{}", host, port);
  } else {
    a.server = fmt::format("https://{}:{}", host, port);
  }
  a.token_file = dir + "/token";
  try {
    a.ca_pem = read_required(dir + "/ca.crt", "the service account CA");
    read_required(a.token_file, "the service account token");
  } catch (const Invalid& e) {
    return failure(e.what());
  }
  AccessResult r;
  r.access = std::move(a);
  return r;
}

AccessResult in_cluster_access_from_env() {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  return in_cluster_access(host != nullptr ? host : "", port != nullptr ? port : "",
                           kServiceAccountDir);
}

AccessResult load_access(const std::string& kubeconfig) {
  return kubeconfig.empty() ? in_cluster_access_from_env() : load_kubeconfig(kubeconfig);
}

}  // namespace meshgate::discovery::kube

// The parts of Istio's MeshConfig and ProxyConfig (mesh.istio.io/v1alpha1)
// that `istioctl x workload entry configure` carries into a VM's files: the
// mesh config's trustDomain and defaultConfig, and the proxy.istio.io/config
// annotation laid over that defaultConfig. The fields whose values reach
// cluster.env are typed and checked; every other ProxyConfig field is kept
// as written, to be copied into mesh.yaml.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "onboarding/yaml_out.h"

namespace meshgate::onboarding {

// A mesh config is a few kilobytes; the istio ConfigMap holds at most 1 MiB.
inline constexpr size_t kMaxMeshConfigBytes = 256 * 1024;
// Bounds on proxyMetadata, whose entries become cluster.env lines.
inline constexpr size_t kMaxProxyMetadata = 128;
inline constexpr size_t kMaxEnvValueBytes = 32 * 1024;

struct ProxyConfig {
  // Fields present in the input; nullopt when absent (or null).
  std::optional<std::string> discovery_address;
  std::optional<std::string> mesh_id;
  std::optional<uint32_t> status_port;
  std::optional<std::map<std::string, std::string>> proxy_metadata;
  // Every other field but readinessProbe (the group's probe replaces it), as
  // written.
  std::map<std::string, YamlValue> other;
};

struct MeshConfig {
  std::string trust_domain;  // "" when unset: istioctl applies no defaults
  ProxyConfig default_config;
};

struct MeshConfigResult {
  std::optional<MeshConfig> mesh;  // set exactly when errors is empty
  base::Errors errors;
  bool ok() const { return mesh.has_value(); }
};

// A MeshConfig as YAML: the `mesh` key of the istio ConfigMap. Unknown
// fields are ignored, as istioctl does. Never throws.
MeshConfigResult parse_mesh_config(std::string_view yaml);

// The proxy.istio.io/config annotation's value (YAML text), read into `out`.
// Its errors are named under `at`'s path and placed on `at`'s line (the
// annotation's, in the file that holds it).
void parse_proxy_config_text(std::string_view yaml, const config::yaml::Value& at, ProxyConfig& out,
                             base::Errors& errors);

// What istioctl does with one proxy.istio.io/config annotation: each field
// the overlay sets replaces the base's, except proxyMetadata, whose entries
// are merged over the base's key by key.
void apply_proxy_config(ProxyConfig& base, const ProxyConfig& overlay);

// Value checks for what reaches cluster.env, shared with vm_files.cc.
// Cluster and mesh IDs: letters, digits, '.', '_', '-'; at most 253.
bool is_plain_id(std::string_view text);
// SPIFFE trust domain: lowercase letters, digits, '.', '_', '-'; at most 255.
bool is_trust_domain(std::string_view text);
// An environment variable name: [A-Za-z_][A-Za-z0-9_]*, at most 128.
bool is_env_name(std::string_view text);
// A value safe inside '...' in a file a shell reads: printable ASCII without
// a single quote, at most kMaxEnvValueBytes.
bool is_env_value(std::string_view text);

}  // namespace meshgate::onboarding

// Istio's WorkloadGroup, as much of it as `meshgate vm-files` needs: the
// template a VM's sidecar is configured from. Read from a user's file, so
// every field is checked and every problem is reported by its path
// ("spec.template.ports.http: ...") rather than thrown.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "onboarding/proxy_config.h"
#include "onboarding/yaml_out.h"

namespace meshgate::onboarding {

// A WorkloadGroup is a few hundred bytes; anything near this is not one.
inline constexpr size_t kMaxWorkloadGroupBytes = 256 * 1024;
// Bounds on maps we copy into cluster.env, so its lines stay few and short.
inline constexpr size_t kMaxLabels = 64;
inline constexpr size_t kMaxPorts = 64;

struct WorkloadGroup {
  // networking.istio.io/v1, v1beta1 or v1alpha3; "" when the file has none
  // (istioctl reads a group without apiVersion or kind).
  std::string api_version;
  std::string name;  // metadata.name, a DNS-1123 label
  std::string ns;    // metadata.namespace, a DNS-1123 label
  // spec.metadata.labels, with spec.template.labels laid over them: istioctl
  // lets the (discouraged) template labels win, and so do we.
  std::map<std::string, std::string> labels;
  bool template_labels = false;                    // spec.template.labels was set
  std::map<std::string, std::string> annotations;  // spec.metadata.annotations
  std::map<std::string, uint16_t> ports;           // spec.template.ports: name -> 1..65535
  std::string service_account = "default";         // spec.template.serviceAccount
  std::string network;                             // spec.template.network; "" if unset
  // spec.probe re-written as block YAML in go-yaml's shape (unindented,
  // '\n'-terminated lines), to become mesh.yaml's
  // defaultConfig.readinessProbe; "" if unset.
  std::string probe_yaml;
  // The proxy.istio.io/config annotations, read: metadata.annotations' first,
  // then spec.metadata.annotations', the order istioctl lays them over the
  // mesh's defaultConfig in.
  std::vector<ProxyConfig> proxy_configs;
};

struct WorkloadGroupResult {
  std::optional<WorkloadGroup> group;  // set exactly when errors is empty
  base::Errors errors;                 // each with its field path and line
  bool ok() const { return group.has_value(); }
};

// Parses one YAML document holding a WorkloadGroup. Never throws.
WorkloadGroupResult parse_workload_group(std::string_view yaml);

}  // namespace meshgate::onboarding

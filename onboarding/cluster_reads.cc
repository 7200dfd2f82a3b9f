// Reading Istio's objects for `meshgate vm-files`. The names and keys are
// the ones istioctl's workload.go reads (extractClusterIDFromInjectionConfig,
// createMeshConfig, createCertsTokens); istiod's CLUSTER_ID and its default
// come from the istiod chart (istio-discovery deployment.yaml) and
// pilot/pkg/features (ClusterName).
#include "onboarding/cluster_reads.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <utility>

#include "discovery/kubernetes/kubeconfig.h"
#include "onboarding/proxy_config.h"

namespace meshgate::onboarding {
namespace {

using Json = nlohmann::json;
namespace kube = discovery::kube;

// istiod's cluster ID when CLUSTER_ID is not set (constants.DefaultClusterName).
constexpr std::string_view kIstiodDefaultClusterId = "Kubernetes";

std::string with_revision(std::string_view base, const ControlPlane& plane) {
  const bool revisioned = !plane.revision.empty() && plane.revision != "default";
  return revisioned ? fmt::format("{}-{}", base, plane.revision) : std::string(base);
}

// `object`[key] when it is an object (or array), else null.
const Json* member(const Json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

// The container called `name` in a Deployment's pod template, or null.
const Json* container(const Json& deployment, std::string_view name) {
  const Json* spec = member(deployment, "spec");
  const Json* pod = spec ? member(*spec, "template") : nullptr;
  const Json* pod_spec = pod ? member(*pod, "spec") : nullptr;
  const Json* containers = pod_spec ? member(*pod_spec, "containers") : nullptr;
  if (!containers || !containers->is_array()) return nullptr;
  for (const Json& item : *containers) {
    const Json* item_name = member(item, "name");
    if (item_name && *item_name == name) return &item;
  }
  return nullptr;
}

// One ConfigMap's data; "" or the error naming it.
std::string config_map_data(const ObjectGetter& get, std::string_view ns, std::string_view name,
                            std::map<std::string, std::string>& data, bool& not_found) {
  const kube::ObjectResult result = get(kube::config_map_path(ns, name));
  not_found = result.not_found();
  if (not_found) return fmt::format("ConfigMap {}/{} not found", ns, name);
  if (!result.ok()) return fmt::format("cannot read ConfigMap {}/{}: {}", ns, name, result.error);
  kube::ConfigMapData parsed = kube::parse_config_map(result.body);
  if (!parsed.error.empty()) return fmt::format("ConfigMap {}/{}: {}", ns, name, parsed.error);
  data = std::move(parsed.data);
  return "";
}

// The injector's clusterName: "" in `out` when the ConfigMap is missing or
// names none; an error when it cannot be read or its values are bad.
std::string injector_cluster_name(const ObjectGetter& get, const ControlPlane& plane,
                                  ClusterValue& out, std::string& why_not) {
  const std::string name = injector_config_map(plane);
  std::map<std::string, std::string> data;
  bool not_found = false;
  const std::string error = config_map_data(get, plane.ns, name, data, not_found);
  if (not_found) {
    why_not = error;
    return "";
  }
  if (!error.empty()) return error;
  const auto values = data.find("values");
  const Found found = values == data.end() ? Found{} : cluster_name_from_values(values->second);
  if (!found.ok()) return fmt::format("ConfigMap {}/{}: values: {}", plane.ns, name, found.error);
  out = {found.value,
         fmt::format("ConfigMap {}/{} (values: global.multiCluster.clusterName)", plane.ns, name)};
  if (found.value.empty()) {
    why_not =
        fmt::format("ConfigMap {}/{} sets no global.multiCluster.clusterName", plane.ns, name);
  }
  return "";
}

std::string istiod_cluster_id(const ObjectGetter& get, const ControlPlane& plane, ClusterValue& out,
                              const std::string& why_not) {
  const std::string name = istiod_deployment(plane);
  const kube::ObjectResult result = get(kube::deployment_path(plane.ns, name));
  const std::string hint = "; give --cluster-id";
  if (result.not_found()) {
    return fmt::format("no cluster ID: {}, and Deployment {}/{} not found{}", why_not, plane.ns,
                       name, hint);
  }
  if (!result.ok()) {
    return fmt::format("no cluster ID: {}, and cannot read Deployment {}/{}: {}{}", why_not,
                       plane.ns, name, result.error, hint);
  }
  const Found found = cluster_id_from_istiod(result.body);
  if (!found.ok()) return fmt::format("Deployment {}/{}: {}{}", plane.ns, name, found.error, hint);
  out = {found.value,
         fmt::format("Deployment {}/{} (CLUSTER_ID of container discovery)", plane.ns, name)};
  return "";
}

}  // namespace

std::string injector_config_map(const ControlPlane& plane) {
  return with_revision("istio-sidecar-injector", plane);
}

std::string mesh_config_map(const ControlPlane& plane) {
  return with_revision("istio", plane);
}

std::string istiod_deployment(const ControlPlane& plane) {
  return with_revision("istiod", plane);
}

Found cluster_name_from_values(std::string_view values_json) {
  if (values_json.size() > kMaxInjectorValuesBytes) {
    return {"", fmt::format("larger than {} bytes", kMaxInjectorValuesBytes)};
  }
  const Json values = Json::parse(values_json, nullptr, false);
  if (!values.is_object()) return {"", "not a JSON object"};
  const Json* global = member(values, "global");
  const Json* multi = global ? member(*global, "multiCluster") : nullptr;
  const Json* name = multi ? member(*multi, "clusterName") : nullptr;
  if (!name || name->is_null()) return {};
  if (!name->is_string()) return {"", "global.multiCluster.clusterName: not a string"};
  const std::string text = name->get<std::string>();
  if (!text.empty() && !is_plain_id(text)) {
    return {"", "global.multiCluster.clusterName: not letters, digits, '.', '-' or '_'"};
  }
  return {text, ""};
}

Found cluster_id_from_istiod(std::string_view deployment_json) {
  const Json deployment = Json::parse(deployment_json, nullptr, false);
  const Json* kind = member(deployment, "kind");
  if (!deployment.is_object() || (kind && *kind != "Deployment")) return {"", "not a Deployment"};
  const Json* discovery = container(deployment, "discovery");
  if (!discovery) return {"", "no container named discovery (not istiod?)"};
  static const Json kNone = Json::array();
  const Json* env = member(*discovery, "env");
  for (const Json& var : env && env->is_array() ? *env : kNone) {
    const Json* name = member(var, "name");
    if (!name || *name != "CLUSTER_ID") continue;
    const Json* value = member(var, "value");
    if (!value || !value->is_string() || value->get_ref<const std::string&>().empty()) {
      return {"", "CLUSTER_ID of container discovery is not a plain value (valueFrom?)"};
    }
    if (!is_plain_id(value->get_ref<const std::string&>())) {
      return {"", "CLUSTER_ID of container discovery: not letters, digits, '.', '-' or '_'"};
    }
    return {value->get<std::string>(), ""};
  }
  const Json* env_from = member(*discovery, "envFrom");
  if (env_from && env_from->is_array() && !env_from->empty()) {
    return {"", "container discovery takes variables from envFrom; CLUSTER_ID may be among them"};
  }
  return {std::string(kIstiodDefaultClusterId), ""};
}

std::string read_cluster_id(const ObjectGetter& get, const ControlPlane& plane, ClusterValue& out) {
  out = {};
  std::string why_not;
  if (std::string error = injector_cluster_name(get, plane, out, why_not); !error.empty()) {
    return error + "; give --cluster-id";
  }
  if (!out.value.empty()) return "";
  return istiod_cluster_id(get, plane, out, why_not);
}

std::string read_mesh_config(const ObjectGetter& get, const ControlPlane& plane,
                             ClusterValue& out) {
  const std::string name = mesh_config_map(plane);
  std::map<std::string, std::string> data;
  bool not_found = false;
  if (std::string error = config_map_data(get, plane.ns, name, data, not_found); !error.empty()) {
    return error + (not_found ? "; give --mesh-config FILE (or the right --revision)" : "");
  }
  const auto mesh = data.find("mesh");
  out = {mesh == data.end() ? "" : mesh->second,
         fmt::format("ConfigMap {}/{} (mesh)", plane.ns, name)};
  return "";
}

std::string read_root_cert(const ObjectGetter& get, std::string_view ns, ClusterValue& out) {
  std::map<std::string, std::string> data;
  bool not_found = false;
  if (std::string error = config_map_data(get, ns, kRootCertConfigMap, data, not_found);
      !error.empty()) {
    return error + (not_found ? "; give --root-cert FILE" : "");
  }
  const auto cert = data.find("root-cert.pem");
  if (cert == data.end()) {
    return fmt::format("ConfigMap {}/{} has no root-cert.pem", ns, kRootCertConfigMap);
  }
  out = {cert->second, fmt::format("ConfigMap {}/{} (root-cert.pem)", ns, kRootCertConfigMap)};
  return "";
}

ObjectGetter kubernetes_object_getter(std::string kubeconfig, std::chrono::milliseconds timeout) {
  return [kubeconfig = std::move(kubeconfig), timeout](const std::string& path) {
    const kube::AccessResult access = kube::load_access(kubeconfig);
    if (!access.access) return kube::ObjectResult{0, "", access.error};
    return kube::get_object(*access.access, path, timeout);
  };
}

}  // namespace meshgate::onboarding

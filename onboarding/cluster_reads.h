// What `meshgate vm-files` reads from the cluster when its flags leave it
// open, from where `istioctl x workload entry configure` reads it
// (istioctl/pkg/workload/workload.go): the cluster ID from the sidecar
// injector's values, the mesh config from the istio ConfigMap, the root
// certificate from istio-ca-root-cert. Where istioctl would leave the
// cluster ID empty, istiod's own CLUSTER_ID is read instead.
//
// The reading of each object is a pure function of its JSON; the I/O goes
// through an ObjectGetter, so tests hand in the objects they want.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "discovery/kubernetes/object_get.h"

namespace meshgate::onboarding {

// GET of one API path ("/api/v1/namespaces/NS/configmaps/NAME").
using ObjectGetter = std::function<discovery::kube::ObjectResult(const std::string& path)>;

inline constexpr std::chrono::seconds kClusterReadTimeout{15};
// The injector's values are a few kilobytes of JSON.
inline constexpr size_t kMaxInjectorValuesBytes = 1024 * 1024;

// The istiod a VM joins.
struct ControlPlane {
  std::string ns = "istio-system";
  std::string revision;  // "" or "default": none
};

// The objects istioctl reads, named with "-REV" for a revision.
std::string injector_config_map(const ControlPlane& plane);  // istio-sidecar-injector[-REV]
std::string mesh_config_map(const ControlPlane& plane);      // istio[-REV]
std::string istiod_deployment(const ControlPlane& plane);    // istiod[-REV]
inline constexpr std::string_view kRootCertConfigMap = "istio-ca-root-cert";

struct Found {
  std::string value;
  std::string error;  // "" or what is wrong, naming the field
  bool ok() const { return error.empty(); }
};

// global.multiCluster.clusterName of the injector ConfigMap's `values`
// (JSON); "" when it is not set.
Found cluster_name_from_values(std::string_view values_json);
// CLUSTER_ID of the `discovery` container of istiod's Deployment (JSON):
// its value, or "Kubernetes" (istiod's default) when the container sets
// none; an error when it cannot be known from the Deployment alone
// (valueFrom, envFrom).
Found cluster_id_from_istiod(std::string_view deployment_json);

struct ClusterValue {
  std::string value;
  std::string source;  // what it was read from, for the user: "ConfigMap istio-system/istio (mesh)"
};

// The cluster ID: the injector's clusterName when set; else istiod's
// CLUSTER_ID. Returns "" or the error, which names the object.
std::string read_cluster_id(const ObjectGetter& get, const ControlPlane& plane, ClusterValue& out);
// The mesh config: the `mesh` key of istio[-REV] ("" when the key is absent).
std::string read_mesh_config(const ObjectGetter& get, const ControlPlane& plane, ClusterValue& out);
// root-cert.pem of istio-ca-root-cert in the group's namespace.
std::string read_root_cert(const ObjectGetter& get, std::string_view ns, ClusterValue& out);

// The API server `kubeconfig` names, or without one that of the pod
// meshgate runs in; each GET bounded by `timeout`.
ObjectGetter kubernetes_object_getter(std::string kubeconfig,
                                      std::chrono::milliseconds timeout = kClusterReadTimeout);

}  // namespace meshgate::onboarding

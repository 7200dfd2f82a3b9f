// One GET of one object from the API server (a ConfigMap, a Deployment), for
// one-shot commands: `meshgate vm-files` reads Istio's ConfigMaps the way
// `kubectl get configmap NAME -n NS -o json` does. The paths and the reading
// of answers are pure functions; get_object() is one blocking request on a
// client of its own, bounded in time and in size.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "discovery/kubernetes/kubeconfig.h"

namespace meshgate::discovery::kube {

// A ConfigMap holds at most 1 MiB of data; its metadata (managedFields, a
// last-applied-configuration copy of the data) can double that.
inline constexpr size_t kMaxObjectBytes = 4 * 1024 * 1024;

struct ObjectResult {
  int status = 0;     // the HTTP status; 0 when no answer came
  std::string body;   // the object, JSON (status 200 only)
  std::string error;  // "" for 200; else why not, with the server's Status message
  bool ok() const { return error.empty(); }
  bool not_found() const { return status == 404; }
};

// "/api/v1/namespaces/<ns>/configmaps/<name>".
std::string config_map_path(std::string_view ns, std::string_view name);
// "/apis/apps/v1/namespaces/<ns>/deployments/<name>".
std::string deployment_path(std::string_view ns, std::string_view name);

// An answer as an ObjectResult: 200 keeps the body; anything else is an
// error naming the status and, when the body is a Status, its message.
ObjectResult object_result(int status, std::string body);

struct ConfigMapData {
  std::map<std::string, std::string> data;  // the ConfigMap's `data`
  std::string error;                        // "" or what is wrong with the JSON
};

// The `data` of a ConfigMap's JSON (binaryData is not read).
ConfigMapData parse_config_map(std::string_view json);

// GETs `path` from the API server `access` names. Connecting, TLS and the
// whole answer are bounded by `timeout`; an answer over `max_bytes` is an
// error.
ObjectResult get_object(const ApiAccess& access, const std::string& path,
                        std::chrono::milliseconds timeout, size_t max_bytes = kMaxObjectBytes);

}  // namespace meshgate::discovery::kube

// The files a VM on another network needs to join the mesh through this
// gateway, in the formats `istioctl x workload entry configure` writes
// (cluster.env, mesh.yaml, hosts, root-cert.pem, istio-token), plus resolver
// snippets that send `.global` names to the gateway's DNS.
//
// make_vm_files is pure: text in, files' text out. The rest of this header is
// the `meshgate vm-files` command around it (arguments, bounded reads, atomic
// writes), kept here so it is tested without the gateway.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "onboarding/cluster_reads.h"
#include "onboarding/proxy_config.h"
#include "onboarding/workload_group.h"

namespace meshgate::onboarding {

// Bounds on the two secrets read from files.
inline constexpr size_t kMaxRootCertBytes = 64 * 1024;
inline constexpr size_t kMaxTokenBytes = 16 * 1024;

struct VmSettings {
  std::string gateway_address;  // the gateway's IP as the VM reaches it; v4 or v6 literal
  // ISTIO_META_CLUSTER_ID: the cluster the VM's istiod runs in; required.
  // Never guessed: istiod's CA refuses a certificate request that names a
  // cluster it does not know.
  std::string cluster_id;
  // The mesh config (the istio ConfigMap's `mesh`, or --mesh-config):
  // trustDomain and defaultConfig. Empty when there is none.
  MeshConfig mesh;
  std::string trust_domain;  // --trust-domain: for a mesh config without one; both set must agree
  std::string mesh_id;       // --mesh-id: likewise for defaultConfig.meshId
  std::string network;       // "" : the group's spec.template.network; both set must agree
  std::string istio_namespace = "istio-system";
  std::string revision;     // istiod's revision; "" and "default" mean none
  std::string istiod_host;  // "" : istiod[-REV].NAMESPACE.svc; set: also the discoveryAddress
  uint32_t istiod_port = 15012;
  std::string internal_ip;    // ISTIO_SVC_IP: the VM's own address (istioctl --internalIP)
  std::string external_ip;    // ISTIO_SVC_IP, and probes rewritten (istioctl --externalIP)
  bool autoregister = false;  // ISTIO_META_AUTO_REGISTER_GROUP: istiod creates the WorkloadEntry
  uint32_t dns_port = 53;     // the gateway DNS Service's port (53, mapped to 15053)
  std::string root_cert_pem;  // the mesh's root certificate(s), PEM
  std::string token;          // a service-account token with audience istio-ca
};

// A revision other than "" and "default" (istioctl's isRevisioned).
bool is_revisioned(std::string_view revision);
// The name `hosts` maps to the gateway: --istiod-host, else
// istiod[-REV].NAMESPACE.svc (istioctl's IstiodHost).
std::string istiod_host_of(const VmSettings& settings);

struct VmFile {
  std::string name;  // relative to the output directory; may hold one '/'
  std::string content;
  uint32_t mode = 0644;
};

struct VmFilesResult {
  std::vector<VmFile> files;          // empty when errors is not
  base::Errors errors;                // each with the setting it is about as its path
  std::vector<std::string> warnings;  // things accepted but not carried over
  bool ok() const { return errors.empty(); }
};

VmFilesResult make_vm_files(const WorkloadGroup& group, const VmSettings& settings);

// The file called `name` in `result`, or nullptr.
const VmFile* find_vm_file(const VmFilesResult& result, std::string_view name);

// --- `meshgate vm-files` ----------------------------------------------------

// Asks the API server for a token (audience istio-ca) for the service account
// `service_account` in `ns`, valid `seconds`; returns it, or "" with *error.
using TokenFetcher =
    std::function<std::string(const std::string& ns, const std::string& service_account,
                              int64_t seconds, std::string* error)>;

struct VmFilesOptions {
  std::string workload_group_file;
  std::string root_cert_file;  // "" with from_cluster: the istio-ca-root-cert ConfigMap
  std::string token_file;
  std::string mesh_config_file;  // --mesh-config: a MeshConfig, as the istio ConfigMap's `mesh`
  // Read what the flags leave open (cluster ID, mesh config, root
  // certificate) from the API server: --from-cluster, --kubeconfig or
  // --token-request. get_object is that API server (set by tests); when
  // empty, the one --kubeconfig names, else the pod's own.
  bool from_cluster = false;
  ObjectGetter get_object;
  // --token-request: the token comes from fetch_token for the group's
  // service account instead of --token; --kubeconfig names the API server
  // (else the pod's own service account); --token-duration its lifetime.
  bool token_request = false;
  std::string kubeconfig;
  int64_t token_seconds = 3600;
  TokenFetcher fetch_token;  // set by the caller that has a Kubernetes client
  std::string out_dir;
  VmSettings settings;  // root_cert_pem and token are filled from the files
};

// Reads the arguments after "vm-files". Nullopt with `error` set on a usage
// error (unknown flag, missing value or required flag, a port out of range,
// no cluster ID and no cluster to read it from).
std::optional<VmFilesOptions> parse_vm_files_args(std::span<const char* const> args,
                                                  std::string& error);

const char* vm_files_usage();

// Creates `dir` (and parents) when missing and writes each file atomically:
// a temporary file in the same directory, chmod, fsync, rename. Returns ""
// or what failed.
std::string write_vm_files(const std::string& dir, const std::vector<VmFile>& files);

// Reads the inputs (files, then the cluster when options.from_cluster),
// makes and writes the files; prints what was read from the cluster and each
// file written to `out`, problems to `err`. Returns the exit code: 0, or 1
// on bad input or a failed read or write.
int run_vm_files(const VmFilesOptions& options, std::ostream& out, std::ostream& err);

}  // namespace meshgate::onboarding

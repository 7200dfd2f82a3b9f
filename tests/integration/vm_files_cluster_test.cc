// `meshgate vm-files` reading a cluster over the wire: one-object GETs
// (discovery/kubernetes/object_get.h) against a stand-in API server over
// real TLS, then the whole command with --kubeconfig and --token-request, as
// istioctl x workload entry configure reads the same cluster
// (istioctl/pkg/workload/workload.go).
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "base/asio.h"
#include "discovery/kubernetes/object_get.h"
#include "onboarding/token_fetcher.h"
#include "onboarding/vm_files.h"
#include "tests/integration/kube_fixture.h"
#include "tests/support/app_harness.h"
#include "tests/support/kube_apiserver.h"
#include "tests/support/kube_manifests.h"

namespace meshgate::testing {
namespace {

namespace kube_client = discovery::kube;
using namespace std::chrono_literals;

constexpr char kConfigMaps[] = "/api/v1/configmaps";
constexpr char kDeployments[] = "/apis/apps/v1/deployments";

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// "METHOD target protocol status" of each request the stand-in answered.
std::vector<std::string> request_lines(KubeApiServer& api) {
  std::vector<std::string> lines;
  for (const KubeApiRequest& r : api.requests()) {
    lines.push_back(r.method + " " + r.target + " " + r.protocol + " " + std::to_string(r.status));
  }
  return lines;
}

class VmFilesClusterTest : public ::testing::Test {
 protected:
  KubeApiServer& api() { return f_.api(); }
  std::string kubeconfig() const { return dir_.write("kubeconfig", f_.kubeconfig_yaml()); }

  KubeFixture f_;
  TempDir dir_;
};

TEST_F(VmFilesClusterTest, GetsOneConfigMap) {
  api().apply(kConfigMaps, kube::config_map_json("istio-system", "istio",
                                                 {{"mesh", "trustDomain: cluster.local\n"}}));
  const kube_client::ObjectResult result = kube_client::get_object(
      f_.access(), kube_client::config_map_path("istio-system", "istio"), 5s);
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(kube_client::parse_config_map(result.body).data.at("mesh"),
            "trustDomain: cluster.local\n");
  const auto requests = request_lines(api());
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0], "GET /api/v1/namespaces/istio-system/configmaps/istio h2 200");
}

TEST_F(VmFilesClusterTest, NotFoundAndRefusalsCarryTheServersStatus) {
  kube_client::ObjectResult result = kube_client::get_object(
      f_.access(), kube_client::config_map_path("istio-system", "istio-canary"), 5s);
  EXPECT_TRUE(result.not_found());
  EXPECT_EQ(result.error, R"(the API server answered 404: configmaps "istio-canary" not found)");

  const std::string istiod = kube_client::deployment_path("istio-system", "istiod");
  api().set_error(kDeployments, 403);
  result = kube_client::get_object(f_.access(), istiod, 5s);
  EXPECT_EQ(result.status, 403);
  EXPECT_NE(
      result.error.find("the API server answered 403: deployments.apps \"istiod\" is forbidden"),
      std::string::npos)
      << result.error;

  kube_client::ApiAccess wrong = f_.access();
  wrong.token = "stale";
  wrong.client_cert_pem.clear();
  wrong.client_key_pem.clear();
  result = kube_client::get_object(wrong, istiod, 5s);
  EXPECT_EQ(result.error, "the API server answered 401: Unauthorized");
}

TEST_F(VmFilesClusterTest, AnAnswerOverTheBoundIsRefused) {
  api().apply(kConfigMaps, kube::config_map_json("istio-system", "istio",
                                                 {{"mesh", std::string(64 * 1024, 'x')}}));
  const kube_client::ObjectResult result = kube_client::get_object(
      f_.access(), kube_client::config_map_path("istio-system", "istio"), 5s, 16 * 1024);
  EXPECT_EQ(result.error, "the answer is larger than 16384 bytes");
}

// A server that takes the connection and never answers the ClientHello.
TEST_F(VmFilesClusterTest, ASilentServerTimesOut) {
  asio::io_context io;
  asio::ip::tcp::acceptor silent(io, {asio::ip::make_address_v4("127.0.0.1"), 0});
  kube_client::ApiAccess to_silent = f_.access();
  to_silent.server = "https://127.0.0.1:" + std::to_string(silent.local_endpoint().port());
  const auto start = std::chrono::steady_clock::now();
  const kube_client::ObjectResult result =
      kube_client::get_object(to_silent, "/api/v1/namespaces", 300ms);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_FALSE(result.ok());
  // The request's deadline or the dial's, whichever fires first.
  EXPECT_TRUE(result.error == "no answer from the API server within the timeout" ||
              result.error.starts_with("cannot reach the API server: timed out"))
      << result.error;
}

constexpr const char* kLedger = R"(kind: WorkloadGroup
metadata: {name: ledger, namespace: accounts}
spec:
  metadata:
    labels: {app: ledger}
    annotations:
      proxy.istio.io/config: "proxyMetadata: {FROM_ANNOTATION: annotation}"
  template: {serviceAccount: ledger-vm, network: vm-net}
)";

// What istioctl's own test cluster holds, with the injector's values naming
// the cluster, for revision canary; the mesh's root certificate in the
// group's namespace, and the group's service account.
void seed_cluster(KubeApiServer& api, const std::string& root_pem) {
  api.apply(kConfigMaps, kube::config_map_json(
                             "istio-system", "istio-sidecar-injector-canary",
                             {{"config", "policy: enabled\n"},
                              {"values", R"({"global":{"multiCluster":{"clusterName":"cluster1"},)"
                                         R"("network":"net1"},"revision":"canary"})"}}));
  api.apply(kConfigMaps,
            kube::config_map_json(
                "istio-system", "istio-canary",
                {{"mesh",
                  "trustDomain: corp.example\ndefaultConfig:\n  meshId: mesh1\n"
                  "  proxyMetadata: {FROM_MESH_CONFIG: mesh, FROM_ANNOTATION: mesh}\n"}}));
  api.apply(kConfigMaps,
            kube::config_map_json("accounts", "istio-ca-root-cert", {{"root-cert.pem", root_pem}}));
  api.apply("/api/v1/serviceaccounts",
            R"({"kind":"ServiceAccount","metadata":{"name":"ledger-vm","namespace":"accounts"}})");
}

std::optional<onboarding::VmFilesOptions> options_for(const std::string& group,
                                                      const std::string& kubeconfig,
                                                      const std::string& out) {
  const std::vector<const char*> args = {"--workload-group", group.c_str(),    "--gateway-address",
                                         "192.0.2.31",       "--out",          out.c_str(),
                                         "--revision",       "canary",         "--kubeconfig",
                                         kubeconfig.c_str(), "--token-request"};
  std::string error;
  auto options = onboarding::parse_vm_files_args(args, error);
  EXPECT_TRUE(options) << error;
  if (options) options->fetch_token = onboarding::kubernetes_token_fetcher(kubeconfig);
  return options;
}

TEST_F(VmFilesClusterTest, TheCommandReadsWhatIstioctlReads) {
  seed_cluster(api(), f_.pki().ca.cert_pem);
  const std::string out_dir = dir_.path() + "/out";
  auto options = options_for(dir_.write("wg.yaml", kLedger), kubeconfig(), out_dir);
  ASSERT_TRUE(options);
  std::ostringstream out, err;
  ASSERT_EQ(onboarding::run_vm_files(*options, out, err), 0) << err.str();
  const std::string env = read_text(out_dir + "/cluster.env");
  for (const char* line :
       {"ISTIO_META_CLUSTER_ID='cluster1'\n", "TRUST_DOMAIN='corp.example'\n",
        "ISTIO_META_MESH_ID='mesh1'\n", "FROM_MESH_CONFIG='mesh'\n",
        "FROM_ANNOTATION='annotation'\n", "CA_ADDR='istiod-canary.istio-system.svc:15012'\n"}) {
    EXPECT_NE(env.find(line), std::string::npos) << line << " in\n" << env;
  }
  EXPECT_EQ(read_text(out_dir + "/istio-token"), "token-for-accounts-ledger-vm-istio-ca");
  EXPECT_EQ(read_text(out_dir + "/root-cert.pem"), f_.pki().ca.cert_pem);
  EXPECT_EQ(read_text(out_dir + "/hosts"), "192.0.2.31 istiod-canary.istio-system.svc\n");
  EXPECT_EQ(request_lines(api()),
            (std::vector<std::string>{
                "GET /api/v1/namespaces/istio-system/configmaps/istio-sidecar-injector-canary "
                "h2 200",
                "GET /api/v1/namespaces/istio-system/configmaps/istio-canary h2 200",
                "GET /api/v1/namespaces/accounts/configmaps/istio-ca-root-cert h2 200",
                "POST /api/v1/namespaces/accounts/serviceaccounts/ledger-vm/token http/1.1 201"}));
}

TEST_F(VmFilesClusterTest, IstiodsClusterIdWhenTheInjectorHasNone) {
  seed_cluster(api(), f_.pki().ca.cert_pem);
  api().apply(kConfigMaps, kube::config_map_json(
                               "istio-system", "istio-sidecar-injector-canary",
                               {{"values", R"({"global":{"multiCluster":{"clusterName":""}}})"}}));
  api().apply(
      kDeployments,
      R"({"apiVersion":"apps/v1","kind":"Deployment",)"
      R"("metadata":{"name":"istiod-canary","namespace":"istio-system"},)"
      R"("spec":{"template":{"spec":{"containers":[{"name":"discovery","env":[)"
      R"({"name":"REVISION","value":"canary"},{"name":"CLUSTER_ID","value":"east-1"}]}]}}}})");
  const std::string out_dir = dir_.path() + "/out";
  auto options = options_for(dir_.write("wg.yaml", kLedger), kubeconfig(), out_dir);
  ASSERT_TRUE(options);
  std::ostringstream out, err;
  ASSERT_EQ(onboarding::run_vm_files(*options, out, err), 0) << err.str();
  EXPECT_NE(read_text(out_dir + "/cluster.env").find("ISTIO_META_CLUSTER_ID='east-1'\n"),
            std::string::npos);
  EXPECT_NE(out.str().find("cluster ID east-1: from Deployment istio-system/istiod-canary"),
            std::string::npos)
      << out.str();
}

TEST_F(VmFilesClusterTest, ARefusedReadWritesNothingAndMintsNoToken) {
  seed_cluster(api(), f_.pki().ca.cert_pem);
  api().set_error(kConfigMaps, 403);
  const std::string out_dir = dir_.path() + "/out";
  auto options = options_for(dir_.write("wg.yaml", kLedger), kubeconfig(), out_dir);
  ASSERT_TRUE(options);
  std::ostringstream out, err;
  EXPECT_EQ(onboarding::run_vm_files(*options, out, err), 1);
  EXPECT_NE(err.str().find("vm-files: cannot read ConfigMap "
                           "istio-system/istio-sidecar-injector-canary: the API server answered "
                           "403: configmaps \"istio-sidecar-injector-canary\" is forbidden"),
            std::string::npos)
      << err.str();
  EXPECT_FALSE(std::filesystem::exists(out_dir));
  for (const KubeApiRequest& request : api().requests()) {
    EXPECT_NE(request.method, "POST") << request.target;
  }
}

}  // namespace
}  // namespace meshgate::testing

// `meshgate vm-files --token-request`: a TokenRequest to the stand-in API
// server over real TLS, and the token it gives landing in the VM's files.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

#include "discovery/kubernetes/token_request.h"
#include "onboarding/token_fetcher.h"
#include "onboarding/vm_files.h"
#include "tests/integration/kube_fixture.h"
#include "tests/support/app_harness.h"
#include "tests/support/socket.h"

namespace meshgate::testing {
namespace {

namespace kube_client = discovery::kube;
using namespace std::chrono_literals;

constexpr char kServiceAccounts[] = "/api/v1/serviceaccounts";

std::string service_account(const std::string& ns, const std::string& name) {
  return R"({"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":")" + name +
         R"(","namespace":")" + ns + R"("}})";
}

kube_client::TokenRequestSpec spec(const std::string& ns, const std::string& name) {
  kube_client::TokenRequestSpec spec;
  spec.ns = ns;
  spec.service_account = name;
  return spec;
}

class KubeTokenTest : public ::testing::Test {
 protected:
  KubeFixture f_;
  TempDir dir_;
};

TEST_F(KubeTokenTest, PostsATokenRequestOverHttp11AndReturnsTheToken) {
  f_.api().apply(kServiceAccounts, service_account("bookinfo", "ratings"));
  const kube_client::TokenResult result =
      kube_client::request_token(f_.access(), spec("bookinfo", "ratings"), 5s);
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.token, "token-for-bookinfo-ratings-istio-ca");
  const auto requests = f_.api().requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].protocol, "http/1.1");
  EXPECT_EQ(requests[0].target, "/api/v1/namespaces/bookinfo/serviceaccounts/ratings/token");
  EXPECT_EQ(requests[0].authorization, "Bearer test-token");
}

TEST_F(KubeTokenTest, AMissingServiceAccountIsTheServersMessage) {
  const kube_client::TokenResult result =
      kube_client::request_token(f_.access(), spec("bookinfo", "nobody"), 5s);
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.error, R"(the API server answered 404: serviceaccounts "nobody" not found)");
}

TEST_F(KubeTokenTest, TheServersValidationComesBack) {
  f_.api().apply(kServiceAccounts, service_account("bookinfo", "ratings"));
  kube_client::TokenRequestSpec short_lived = spec("bookinfo", "ratings");
  short_lived.expiration_seconds = 60;
  const kube_client::TokenResult result = kube_client::request_token(f_.access(), short_lived, 5s);
  EXPECT_NE(result.error.find("422"), std::string::npos) << result.error;
  EXPECT_NE(result.error.find("less than 10 minutes"), std::string::npos) << result.error;
}

TEST_F(KubeTokenTest, AWrongCredentialIs401) {
  f_.api().apply(kServiceAccounts, service_account("bookinfo", "ratings"));
  f_.api().set_token("rotated");
  const kube_client::TokenResult result =
      kube_client::request_token(f_.access(), spec("bookinfo", "ratings"), 5s);
  EXPECT_EQ(result.error, "the API server answered 401: Unauthorized");
}

TEST_F(KubeTokenTest, AnUnreachableServerFailsWithinTheTimeout) {
  f_.api().set_down(true);
  const auto start = std::chrono::steady_clock::now();
  const kube_client::TokenResult result =
      kube_client::request_token(f_.access(), spec("bookinfo", "ratings"), 2s);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_NE(result.error.find("cannot reach the API server"), std::string::npos) << result.error;
}

// A server that takes the connection and never answers the ClientHello.
TEST_F(KubeTokenTest, ASilentServerTimesOut) {
  Listener silent;
  kube_client::ApiAccess access = f_.access();
  access.server = "https://127.0.0.1:" + std::to_string(silent.port());
  const auto start = std::chrono::steady_clock::now();
  const kube_client::TokenResult result =
      kube_client::request_token(access, spec("bookinfo", "ratings"), 300ms);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.error, "no answer from the API server within the timeout");
}

TEST_F(KubeTokenTest, VmFilesWritesTheRequestedToken) {
  f_.api().apply(kServiceAccounts, service_account("bookinfo", "bookinfo-ratings"));
  onboarding::VmFilesOptions options;
  options.workload_group_file = dir_.write("wg.yaml", R"(apiVersion: networking.istio.io/v1
kind: WorkloadGroup
metadata: {name: ratings, namespace: bookinfo}
spec:
  metadata:
    labels: {app: ratings}
  template:
    serviceAccount: bookinfo-ratings
    ports: {http: 9080}
)");
  options.root_cert_file = dir_.write("root.pem", f_.pki().ca.cert_pem);
  options.token_request = true;
  options.kubeconfig = dir_.write("kubeconfig", f_.kubeconfig_yaml());
  options.fetch_token = onboarding::kubernetes_token_fetcher(options.kubeconfig);
  options.out_dir = dir_.path() + "/out";
  options.settings.gateway_address = "192.0.2.10";
  options.settings.cluster_id = "cluster1";  // not read from the cluster: from_cluster unset
  std::ostringstream out, err;
  ASSERT_EQ(onboarding::run_vm_files(options, out, err), 0) << err.str();
  std::ifstream token(options.out_dir + "/istio-token");
  std::string text((std::istreambuf_iterator<char>(token)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "token-for-bookinfo-bookinfo-ratings-istio-ca");
}

TEST_F(KubeTokenTest, VmFilesSaysWhichServiceAccountFailed) {
  onboarding::VmFilesOptions options;
  options.workload_group_file = dir_.write("wg.yaml", R"(apiVersion: networking.istio.io/v1
kind: WorkloadGroup
metadata: {name: ratings, namespace: bookinfo}
spec:
  template: {serviceAccount: ghost}
)");
  options.root_cert_file = dir_.write("root.pem", f_.pki().ca.cert_pem);
  options.token_request = true;
  options.fetch_token =
      onboarding::kubernetes_token_fetcher(dir_.write("kubeconfig", f_.kubeconfig_yaml()));
  options.out_dir = dir_.path() + "/out";
  options.settings.gateway_address = "192.0.2.10";
  std::ostringstream out, err;
  EXPECT_EQ(onboarding::run_vm_files(options, out, err), 1);
  EXPECT_NE(err.str().find("TokenRequest for service account bookinfo/ghost"), std::string::npos)
      << err.str();
  EXPECT_NE(err.str().find("not found"), std::string::npos) << err.str();
}

}  // namespace
}  // namespace meshgate::testing

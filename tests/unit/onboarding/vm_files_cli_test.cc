// The `meshgate vm-files` command: its flags, its files, and its reads from
// a cluster (a FakeCluster here; tests/integration/vm_files_cluster_test.cc
// has the wire).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "onboarding/vm_files.h"
#include "tests/unit/onboarding/onboarding_test_util.h"

namespace meshgate::onboarding {
namespace {

using test::env_map;
using test::kCert;
using test::read_text;
using test::TempDir;

TEST(VmFilesCli, ParsesFlags) {
  std::string error;
  const std::vector<const char*> args = {"--workload-group",
                                         "wg.yaml",
                                         "--gateway-address",
                                         "2001:db8::1",
                                         "--root-cert",
                                         "root.pem",
                                         "--token",
                                         "token",
                                         "--out",
                                         "out",
                                         "--dns-port",
                                         "5353",
                                         "--network",
                                         "net2",
                                         "--autoregister",
                                         "--mesh-id",
                                         "m",
                                         "--cluster-id",
                                         "c",
                                         "--trust-domain",
                                         "td",
                                         "--istiod-host",
                                         "istiod-canary.istio-system.svc",
                                         "--mesh-config",
                                         "mesh.yaml",
                                         "--istio-namespace",
                                         "istio-control",
                                         "--revision",
                                         "canary",
                                         "--internal-ip",
                                         "10.0.0.9"};
  const auto options = parse_vm_files_args(args, error);
  ASSERT_TRUE(options) << error;
  EXPECT_EQ(options->workload_group_file, "wg.yaml");
  EXPECT_EQ(options->root_cert_file, "root.pem");
  EXPECT_EQ(options->token_file, "token");
  EXPECT_EQ(options->mesh_config_file, "mesh.yaml");
  EXPECT_EQ(options->out_dir, "out");
  EXPECT_FALSE(options->from_cluster);
  EXPECT_EQ(options->settings.gateway_address, "2001:db8::1");
  EXPECT_EQ(options->settings.dns_port, 5353u);
  EXPECT_EQ(options->settings.network, "net2");
  EXPECT_TRUE(options->settings.autoregister);
  EXPECT_EQ(options->settings.mesh_id, "m");
  EXPECT_EQ(options->settings.cluster_id, "c");
  EXPECT_EQ(options->settings.trust_domain, "td");
  EXPECT_EQ(options->settings.istiod_host, "istiod-canary.istio-system.svc");
  EXPECT_EQ(options->settings.istio_namespace, "istio-control");
  EXPECT_EQ(options->settings.revision, "canary");
  EXPECT_EQ(options->settings.internal_ip, "10.0.0.9");
}

TEST(VmFilesCli, UsageErrors) {
  std::string error;
  std::vector<const char*> args = {"--workload-group", "wg.yaml", "--gateway-address", "1.2.3.4",
                                   "--root-cert",      "r.pem",   "--token",           "t",
                                   "--cluster-id",     "c1"};
  EXPECT_FALSE(parse_vm_files_args(args, error));
  EXPECT_EQ(error, "vm-files: missing --out");
  args.insert(args.end(), {"--out", "o", "--dns-port", "99999"});
  EXPECT_FALSE(parse_vm_files_args(args, error));
  EXPECT_EQ(error, "--dns-port: '99999' is not a port 1..65535");
  args.back() = "53";
  args.push_back("--frobnicate");
  EXPECT_FALSE(parse_vm_files_args(args, error));
  EXPECT_EQ(error, "unexpected argument '--frobnicate'");
  args.back() = "--token";  // a flag without its value
  EXPECT_FALSE(parse_vm_files_args(args, error));
  EXPECT_EQ(error, "unexpected argument '--token'");
  args.back() = "--internal-ip";
  args.insert(args.end(), {"10.0.0.1", "--external-ip", "203.0.113.1"});
  EXPECT_FALSE(parse_vm_files_args(args, error));
  EXPECT_EQ(error, "vm-files: give at most one of --internal-ip and --external-ip");
}

// Every required flag but the token's and the cluster ID.
std::vector<const char*> base_args() {
  return {"--workload-group", "wg.yaml", "--gateway-address", "1.2.3.4", "--out", "o"};
}

// Point 2 of the issue: no cluster ID and no cluster to ask is a usage
// error, never a guess.
TEST(VmFilesCli, NoClusterIdAndNoClusterIsAUsageError) {
  std::string error;
  std::vector<const char*> args = base_args();
  args.insert(args.end(), {"--root-cert", "r.pem", "--token", "t"});
  EXPECT_FALSE(parse_vm_files_args(args, error));
  EXPECT_EQ(error,
            "vm-files: no cluster ID: give --cluster-id (the CLUSTER_ID of istiod), or let "
            "vm-files read it from the cluster (--from-cluster, --kubeconfig or --token-request)");
  args.insert(args.end(), {"--cluster-id", "cluster1"});
  const auto options = parse_vm_files_args(args, error);
  ASSERT_TRUE(options) << error;
  EXPECT_EQ(options->settings.cluster_id, "cluster1");
}

// Any of the three makes the cluster reachable; then the cluster ID and the
// root certificate may be left to it.
TEST(VmFilesCli, AReachableClusterFillsWhatFlagsLeaveOpen) {
  for (const std::vector<const char*>& extra :
       {std::vector<const char*>{"--from-cluster", "--token", "t"},
        std::vector<const char*>{"--kubeconfig", "kc", "--token", "t"},
        std::vector<const char*>{"--token-request"}}) {
    std::string error;
    std::vector<const char*> args = base_args();
    args.insert(args.end(), extra.begin(), extra.end());
    const auto options = parse_vm_files_args(args, error);
    ASSERT_TRUE(options) << error << " with " << extra.front();
    EXPECT_TRUE(options->from_cluster) << extra.front();
  }
  std::string error;
  std::vector<const char*> args = base_args();
  args.insert(args.end(), {"--cluster-id", "c1", "--token", "t"});
  EXPECT_FALSE(parse_vm_files_args(args, error));
  EXPECT_EQ(error, "vm-files: missing --root-cert (or read it from the cluster: --from-cluster)");
}

TEST(VmFilesCli, TokenRequestInsteadOfATokenFile) {
  std::string error;
  std::vector<const char*> args = base_args();
  args.insert(args.end(), {"--token-request", "--kubeconfig", "kc", "--token-duration", "7200"});
  auto options = parse_vm_files_args(args, error);
  ASSERT_TRUE(options) << error;
  EXPECT_TRUE(options->token_request);
  EXPECT_EQ(options->kubeconfig, "kc");
  EXPECT_EQ(options->token_seconds, 7200);
  EXPECT_TRUE(options->token_file.empty());

  args.back() = "599";  // the API server refuses under 10 minutes
  EXPECT_FALSE(parse_vm_files_args(args, error));
  EXPECT_EQ(error, "--token-duration: '599' is not a number of seconds 600..86400");
  args.back() = "3600";
  args.insert(args.end(), {"--token", "t"});
  EXPECT_FALSE(parse_vm_files_args(args, error));
  EXPECT_EQ(error, "vm-files: give exactly one of --token FILE and --token-request");
}

TEST(VmFilesCli, NeitherTokenNorTokenRequest) {
  std::string error;
  std::vector<const char*> args = base_args();
  args.insert(args.end(), {"--root-cert", "r.pem", "--cluster-id", "c1"});
  EXPECT_FALSE(parse_vm_files_args(args, error));
  EXPECT_EQ(error, "vm-files: give exactly one of --token FILE and --token-request");
}

constexpr const char* kRatingsYaml = R"(apiVersion: networking.istio.io/v1
kind: WorkloadGroup
metadata: {name: ratings, namespace: bookinfo}
spec:
  metadata:
    labels: {app: ratings, class: vm}
  template:
    serviceAccount: bookinfo-ratings
    network: vm-network
    ports: {http: 9080, grpc: 3550}
)";

VmFilesOptions cli_options(const TempDir& dir) {
  VmFilesOptions options;
  options.workload_group_file = dir.write("wg.yaml", kRatingsYaml);
  options.root_cert_file = dir.write("root.pem", kCert);
  options.token_file = dir.write("token", test::kToken);
  options.mesh_config_file = dir.write("mesh.yaml", "trustDomain: cluster.local\n");
  options.out_dir = dir.path() + "/out/vm";
  options.settings.gateway_address = "203.0.113.10";
  options.settings.cluster_id = "cluster1";
  return options;
}

unsigned mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST(VmFilesCli, WritesEveryFileWithItsMode) {
  const TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const VmFilesOptions options = cli_options(dir);
  std::ostringstream out;
  std::ostringstream err;
  ASSERT_EQ(run_vm_files(options, out, err), 0) << err.str();
  EXPECT_EQ(err.str(), "");
  const std::string out_dir = options.out_dir;
  EXPECT_NE(out.str().find("wrote " + out_dir + "/istio-token (0600)\n"), std::string::npos);
  EXPECT_NE(out.str().find("wrote " + out_dir + "/cluster.env (0644)\n"), std::string::npos);
  const auto env = env_map(read_text(out_dir + "/cluster.env"));
  EXPECT_EQ(env.at("TRUST_DOMAIN"), "cluster.local");  // from --mesh-config
  EXPECT_EQ(env.at("ISTIO_META_CLUSTER_ID"), "cluster1");
  EXPECT_EQ(mode_of(out_dir + "/cluster.env"), 0644u);
  EXPECT_EQ(mode_of(out_dir + "/istio-token"), 0600u);
  EXPECT_EQ(mode_of(out_dir + "/resolved.conf.d/meshgate-global.conf"), 0644u);
  EXPECT_EQ(read_text(out_dir + "/hosts"), "203.0.113.10 istiod.istio-system.svc\n");
  // Writing again replaces the files; no temporaries are left behind.
  ASSERT_EQ(run_vm_files(options, out, err), 0) << err.str();
  size_t entries = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(out_dir)) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos) << entry.path();
    ++entries;
  }
  EXPECT_EQ(entries, 9u);  // 7 files and 2 directories
}

TEST(VmFilesCli, BadInputWritesNothing) {
  const TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  VmFilesOptions options = cli_options(dir);
  options.root_cert_file = dir.write("bad.pem", "hello\n");
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(run_vm_files(options, out, err), 1);
  EXPECT_NE(err.str().find("vm-files: root cert: not a PEM certificate"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(options.out_dir));

  options = cli_options(dir);
  options.workload_group_file = dir.write("bad.yaml", "kind: WorkloadEntry\n");
  err.str("");
  EXPECT_EQ(run_vm_files(options, out, err), 1);
  EXPECT_NE(err.str().find(dir.path() + "/bad.yaml:1: kind: expected WorkloadGroup"),
            std::string::npos);

  options = cli_options(dir);
  options.token_file = dir.path() + "/missing";
  err.str("");
  EXPECT_EQ(run_vm_files(options, out, err), 1);
  EXPECT_NE(err.str().find("/missing: cannot open"), std::string::npos);

  options = cli_options(dir);
  options.mesh_config_file = dir.write("bad-mesh.yaml", "defaultConfig: {proxyMetadata: {A: [1]}}");
  err.str("");
  EXPECT_EQ(run_vm_files(options, out, err), 1);
  EXPECT_NE(err.str().find(dir.path() +
                           "/bad-mesh.yaml:1: defaultConfig.proxyMetadata.A: expected a string"),
            std::string::npos)
      << err.str();
  EXPECT_EQ(out.str(), "");
  EXPECT_FALSE(std::filesystem::exists(options.out_dir));
}

TEST(VmFilesCli, WithoutAMeshConfigItSaysWhatIsMissing) {
  const TempDir dir;
  VmFilesOptions options = cli_options(dir);
  options.mesh_config_file.clear();
  std::ostringstream out, err;
  ASSERT_EQ(run_vm_files(options, out, err), 0) << err.str();
  EXPECT_NE(err.str().find("warning: no mesh config"), std::string::npos) << err.str();
  EXPECT_EQ(env_map(read_text(options.out_dir + "/cluster.env")).at("TRUST_DOMAIN"), "");
}

// istio-sidecar-injector's values, as istioctl's
// extractClusterIDFromInjectionConfig reads them.
std::string injector_values(const std::string& cluster_name) {
  return R"({"global":{"multiCluster":{"clusterName":")" + cluster_name +
         R"("},"meshID":"mesh1","network":"net1"},"revision":""})";
}

TEST(VmFilesCli, EverythingOpenIsReadFromTheCluster) {
  const TempDir dir;
  VmFilesOptions options = cli_options(dir);
  options.settings.cluster_id.clear();
  options.mesh_config_file.clear();
  options.root_cert_file.clear();
  options.from_cluster = true;
  test::FakeCluster cluster;
  cluster.config_map("istio-system", "istio-sidecar-injector",
                     {{"values", injector_values("cluster1")}, {"config", "policy: enabled"}});
  cluster.config_map("istio-system", "istio",
                     {{"mesh", "trustDomain: corp.example\ndefaultConfig:\n  meshId: mesh1\n"}});
  cluster.config_map("bookinfo", "istio-ca-root-cert", {{"root-cert.pem", kCert}});
  options.get_object = cluster.getter();
  std::ostringstream out, err;
  ASSERT_EQ(run_vm_files(options, out, err), 0) << err.str();
  const auto env = env_map(read_text(options.out_dir + "/cluster.env"));
  EXPECT_EQ(env.at("ISTIO_META_CLUSTER_ID"), "cluster1");
  EXPECT_EQ(env.at("TRUST_DOMAIN"), "corp.example");
  EXPECT_EQ(env.at("ISTIO_META_MESH_ID"), "mesh1");
  EXPECT_EQ(read_text(options.out_dir + "/root-cert.pem"), kCert);
  EXPECT_NE(out.str().find("cluster ID cluster1: from ConfigMap "
                           "istio-system/istio-sidecar-injector (values: "
                           "global.multiCluster.clusterName)\n"),
            std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("root certificate: from ConfigMap bookinfo/istio-ca-root-cert"),
            std::string::npos);
}

TEST(VmFilesCli, AFailedReadWritesNothing) {
  const TempDir dir;
  VmFilesOptions options = cli_options(dir);
  options.settings.cluster_id.clear();
  options.from_cluster = true;
  test::FakeCluster cluster;
  cluster.failures["/api/v1/namespaces/istio-system/configmaps/istio-sidecar-injector"] = 403;
  options.get_object = cluster.getter();
  std::ostringstream out, err;
  EXPECT_EQ(run_vm_files(options, out, err), 1);
  EXPECT_NE(err.str().find("vm-files: cannot read ConfigMap istio-system/istio-sidecar-injector: "
                           "the API server answered 403: injected failure; give --cluster-id"),
            std::string::npos)
      << err.str();
  EXPECT_FALSE(std::filesystem::exists(options.out_dir));

  options.settings.cluster_id = "cluster1";  // now the mesh config is what is missing
  options.mesh_config_file.clear();
  err.str("");
  EXPECT_EQ(run_vm_files(options, out, err), 1);
  EXPECT_NE(err.str().find("vm-files: ConfigMap istio-system/istio not found; give --mesh-config"),
            std::string::npos)
      << err.str();

  options.settings.istio_namespace = "../../secrets";  // parts of API paths are checked first
  err.str("");
  EXPECT_EQ(run_vm_files(options, out, err), 1);
  EXPECT_NE(err.str().find("--istio-namespace and --revision must be DNS-1123 labels"),
            std::string::npos)
      << err.str();
  options.settings.istio_namespace = "istio-system";

  cluster.config_map("istio-system", "istio", {{"mesh", "defaultConfig: {statusPort: 99999}"}});
  err.str("");
  EXPECT_EQ(run_vm_files(options, out, err), 1);
  EXPECT_NE(err.str().find("ConfigMap istio-system/istio (mesh):1: defaultConfig.statusPort: "
                           "expected a port number"),
            std::string::npos)
      << err.str();
  EXPECT_FALSE(std::filesystem::exists(options.out_dir));
}

}  // namespace
}  // namespace meshgate::onboarding

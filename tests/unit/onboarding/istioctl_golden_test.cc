// The cases of istioctl's own golden tests for `x workload entry configure`
// (istioctl/pkg/workload/workload_test.go with testdata/vmconfig/ipv4,
// vmconfig/ipv6 and vmconfig-nil-proxy-metadata), rewritten as this
// project's data (testdata/istioctl/README.md), run through make_vm_files
// and through the command, and compared with what istioctl writes for them
// (istioctl/pkg/workload/workload.go): field by field, then byte for byte.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <map>
#include <sstream>
#include <string>

#include "onboarding/vm_files.h"
#include "tests/unit/onboarding/onboarding_test_util.h"

namespace meshgate::onboarding {
namespace {

using test::env_map;
using test::joined;
using test::read_text;

struct GoldenCase {
  const char* dir;
  const char* internal_ip;  // istioctl --internalIP
  const char* gateway;      // istioctl --ingressIP
  const char* revision;     // istioctl --revision
};

const GoldenCase kCases[] = {
    {"revision-ipv4", "192.0.2.30", "192.0.2.31", "canary"},
    {"revision-ipv6", "2001:db8:30::1", "2001:db8:30::2", "canary"},
    {"no-proxy-metadata", "192.0.2.30", "192.0.2.31", ""},
};

void PrintTo(const GoldenCase& c, std::ostream* out) {
  *out << c.dir;
}

std::string data(const GoldenCase& c, const std::string& file) {
  return read_text(std::string(MESHGATE_ONBOARDING_TESTDATA) + "/istioctl/" + c.dir + "/" + file);
}

VmSettings settings_for(const GoldenCase& c) {
  VmSettings s;
  s.gateway_address = c.gateway;
  s.internal_ip = c.internal_ip;
  s.revision = c.revision;
  s.cluster_id = "east-1";  // istioctl --clusterID: no injector is read
  s.root_cert_pem = test::kCert;
  s.token = test::kToken;
  return s;
}

// mesh.yaml's defaultConfig, and its proxyMetadata, as maps of scalars (a
// nested value as its YAML text).
std::map<std::string, std::string> scalars(const YAML::Node& map) {
  std::map<std::string, std::string> out;
  for (const auto& entry : map) {
    std::ostringstream text;
    text << entry.second;
    out[entry.first.Scalar()] = entry.second.IsScalar() ? entry.second.Scalar() : text.str();
  }
  return out;
}

// The one difference from istioctl in these cases (onboarding/README.md,
// "Deliberate differences"): without a revision istioctl leaves
// discoveryAddress to the agent's default, istiod.istio-system.svc:15012;
// vm-files writes that same value, the name its hosts file maps.
std::string with_our_discovery_address(const GoldenCase& c, std::string golden) {
  if (std::string(c.revision).empty()) {
    golden.insert(golden.find("  proxyMetadata:"),
                  "  discoveryAddress: istiod.istio-system.svc:15012\n");
  }
  return golden;
}

void expect_same_mesh_yaml(const std::string& ours, const std::string& golden) {
  const YAML::Node a = YAML::Load(ours)["defaultConfig"];
  const YAML::Node b = YAML::Load(golden)["defaultConfig"];
  EXPECT_EQ(scalars(a), scalars(b));
  EXPECT_EQ(scalars(a["proxyMetadata"]), scalars(b["proxyMetadata"]));
  for (const auto& entry : a["proxyMetadata"]) {  // a map of strings: none may read as a bool
    EXPECT_EQ(entry.second.Tag(), b["proxyMetadata"][entry.first.Scalar()].Tag())
        << entry.first.Scalar();
  }
  EXPECT_EQ(ours, golden);
}

class IstioctlGolden : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(IstioctlGolden, MakeVmFilesWritesWhatIstioctlWrites) {
  const GoldenCase& c = GetParam();
  const WorkloadGroupResult group = parse_workload_group(data(c, "workloadgroup.yaml"));
  ASSERT_TRUE(group.ok()) << joined(group.errors);
  const MeshConfigResult mesh = parse_mesh_config(data(c, "meshconfig.yaml"));
  ASSERT_TRUE(mesh.ok()) << joined(mesh.errors);
  VmSettings s = settings_for(c);
  s.mesh = *mesh.mesh;
  const VmFilesResult result = make_vm_files(*group.group, s);
  ASSERT_TRUE(result.ok()) << joined(result.errors);

  const std::string env = find_vm_file(result, "cluster.env")->content;
  EXPECT_EQ(env_map(env), env_map(data(c, "cluster.env.golden")));
  EXPECT_EQ(env, data(c, "cluster.env.golden"));
  expect_same_mesh_yaml(find_vm_file(result, "mesh.yaml")->content,
                        with_our_discovery_address(c, data(c, "mesh.yaml.golden")));
  EXPECT_EQ(find_vm_file(result, "hosts")->content, data(c, "hosts.golden"));
  // The certificate and token are written as given (istioctl's fake cluster
  // gives a placeholder certificate and an empty token).
  EXPECT_EQ(find_vm_file(result, "root-cert.pem")->content, test::kCert);
  EXPECT_EQ(find_vm_file(result, "istio-token")->content + "\n", test::kToken);
}

// As istioctl's test cluster: the mesh config in ConfigMap istio[-REV] and
// the root certificate in istio-ca-root-cert of the group's namespace; no
// injector ConfigMap, the cluster ID given by flag.
test::FakeCluster golden_cluster(const GoldenCase& c) {
  test::FakeCluster cluster;
  const std::string mesh_name = std::string(c.revision).empty() ? "istio" : "istio-canary";
  cluster.config_map("istio-system", mesh_name, {{"mesh", data(c, "meshconfig.yaml")}});
  cluster.config_map("accounts", "istio-ca-root-cert", {{"root-cert.pem", test::kCert}});
  return cluster;
}

VmFilesOptions golden_options(const GoldenCase& c, const test::TempDir& dir,
                              test::FakeCluster& cluster) {
  VmFilesOptions o;
  o.workload_group_file = dir.write("workloadgroup.yaml", data(c, "workloadgroup.yaml"));
  o.token_file = dir.write("token", test::kToken);
  o.out_dir = dir.path() + "/out";
  o.from_cluster = true;
  o.get_object = cluster.getter();
  o.settings = settings_for(c);
  o.settings.root_cert_pem.clear();
  o.settings.token.clear();
  return o;
}

TEST_P(IstioctlGolden, TheCommandReadsTheClusterAsIstioctlDoes) {
  const GoldenCase& c = GetParam();
  const test::TempDir dir;
  test::FakeCluster cluster = golden_cluster(c);
  const VmFilesOptions o = golden_options(c, dir, cluster);
  std::ostringstream out, err;
  ASSERT_EQ(run_vm_files(o, out, err), 0) << err.str();
  EXPECT_EQ(read_text(o.out_dir + "/cluster.env"), data(c, "cluster.env.golden"));
  EXPECT_EQ(read_text(o.out_dir + "/mesh.yaml"),
            with_our_discovery_address(c, data(c, "mesh.yaml.golden")));
  EXPECT_EQ(read_text(o.out_dir + "/hosts"), data(c, "hosts.golden"));
  EXPECT_EQ(read_text(o.out_dir + "/root-cert.pem"), test::kCert);
  const std::string mesh_name = std::string(c.revision).empty() ? "istio" : "istio-canary";
  EXPECT_EQ(cluster.asked, (std::vector<std::string>{
                               "/api/v1/namespaces/istio-system/configmaps/" + mesh_name,
                               "/api/v1/namespaces/accounts/configmaps/istio-ca-root-cert"}));
  EXPECT_NE(out.str().find("mesh config: from ConfigMap istio-system/" + mesh_name + " (mesh)"),
            std::string::npos)
      << out.str();
}

// istioctl's second run of each case: no --clusterID and no injector
// ConfigMap fails before writing, and the first run's files stay.
TEST_P(IstioctlGolden, WithoutAClusterIdNothingIsWritten) {
  const GoldenCase& c = GetParam();
  const test::TempDir dir;
  test::FakeCluster cluster = golden_cluster(c);
  VmFilesOptions o = golden_options(c, dir, cluster);
  std::ostringstream out, err;
  ASSERT_EQ(run_vm_files(o, out, err), 0) << err.str();
  o.settings.cluster_id.clear();
  o.settings.internal_ip = "192.0.2.99";
  EXPECT_EQ(run_vm_files(o, out, err), 1);
  EXPECT_NE(err.str().find("vm-files: no cluster ID"), std::string::npos) << err.str();
  EXPECT_EQ(read_text(o.out_dir + "/cluster.env"), data(c, "cluster.env.golden"));
}

INSTANTIATE_TEST_SUITE_P(Cases, IstioctlGolden, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<GoldenCase>& param) {
                           std::string name = param.param.dir;
                           std::erase(name, '-');
                           return name;
                         });

}  // namespace
}  // namespace meshgate::onboarding

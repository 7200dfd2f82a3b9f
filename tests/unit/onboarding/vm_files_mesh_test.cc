// make_vm_files with a mesh config, proxy.istio.io/config annotations, a
// revision and the VM's own address: each follows what
// istioctl/pkg/workload/workload.go (createMeshConfig, createClusterEnv,
// createHosts) does with them.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <map>
#include <string>

#include "config/yaml_reader.h"
#include "onboarding/vm_files.h"
#include "tests/unit/onboarding/onboarding_test_util.h"

namespace meshgate::onboarding {
namespace {

using test::env_map;
using test::joined;

WorkloadGroup ledger() {
  WorkloadGroup group;
  group.name = "ledger";
  group.ns = "accounts";
  group.labels = {{"app", "ledger"}};
  group.service_account = "ledger-vm";
  group.network = "vm-net";
  return group;
}

MeshConfig mesh_of(const std::string& yaml) {
  const MeshConfigResult result = parse_mesh_config(yaml);
  EXPECT_TRUE(result.ok()) << joined(result.errors);
  return result.mesh.value_or(MeshConfig{});
}

ProxyConfig annotation_of(const std::string& yaml) {
  ProxyConfig config;
  base::Errors errors;
  parse_proxy_config_text(yaml, config::yaml::Value{{}, "annotation", 1}, config, errors);
  EXPECT_TRUE(errors.empty()) << joined(errors);
  return config;
}

VmSettings settings_with(const std::string& mesh_yaml) {
  VmSettings s;
  s.gateway_address = "198.51.100.7";
  s.cluster_id = "east-1";
  s.mesh = mesh_of(mesh_yaml);
  s.root_cert_pem = test::kCert;
  s.token = test::kToken;
  return s;
}

struct Made {
  std::map<std::string, std::string> env;
  std::string mesh_yaml;
  std::string hosts;
  std::vector<std::string> warnings;
};

Made made(const WorkloadGroup& group, const VmSettings& s) {
  const VmFilesResult result = make_vm_files(group, s);
  EXPECT_TRUE(result.ok()) << joined(result.errors);
  if (!result.ok()) return {};
  return {env_map(find_vm_file(result, "cluster.env")->content),
          find_vm_file(result, "mesh.yaml")->content, find_vm_file(result, "hosts")->content,
          result.warnings};
}

std::string errors_of(const WorkloadGroup& group, const VmSettings& s) {
  const VmFilesResult result = make_vm_files(group, s);
  EXPECT_FALSE(result.ok());
  EXPECT_TRUE(result.files.empty());
  return joined(result.errors);
}

// createMeshConfig: the mesh's proxyMetadata, each annotation's entries over
// it key by key, then the command's own keys over both.
TEST(VmFilesMesh, ProxyMetadataMergesAsIstioctl) {
  WorkloadGroup group = ledger();
  group.proxy_configs = {annotation_of("proxyMetadata: {B: group, C: group}"),
                         annotation_of("proxyMetadata: {C: spec, TRUST_DOMAIN: spec}")};
  const Made out = made(group, settings_with(R"(
trustDomain: example.org
defaultConfig:
  proxyMetadata: {A: mesh, B: mesh, ISTIO_META_DNS_CAPTURE: "false", POD_NAMESPACE: elsewhere}
)"));
  EXPECT_EQ(out.env.at("A"), "mesh");
  EXPECT_EQ(out.env.at("B"), "group");
  EXPECT_EQ(out.env.at("C"), "spec");
  EXPECT_EQ(out.env.at("ISTIO_META_DNS_CAPTURE"), "true");
  EXPECT_EQ(out.env.at("POD_NAMESPACE"), "accounts");
  EXPECT_EQ(out.env.at("TRUST_DOMAIN"), "example.org");
  const YAML::Node metadata = YAML::Load(out.mesh_yaml)["defaultConfig"]["proxyMetadata"];
  EXPECT_EQ(metadata["A"].Scalar(), "mesh");
  EXPECT_EQ(metadata["C"].Scalar(), "spec");
}

// istioctl's nil-proxy-metadata case: `defaultConfig: {}` has no map to
// merge into (istioctl would crash on an annotation then); the annotation's
// entries start one.
TEST(VmFilesMesh, AnAnnotationOverAnEmptyDefaultConfig) {
  WorkloadGroup group = ledger();
  group.proxy_configs = {annotation_of("proxyMetadata: {FROM_ANNOTATION: yes-please}")};
  const Made out = made(group, settings_with("defaultConfig: {}\n"));
  EXPECT_EQ(out.env.at("FROM_ANNOTATION"), "yes-please");
}

// protomarshal.ApplyYAML replaces each field the annotation sets; the rest
// of the mesh's defaultConfig is kept and written to mesh.yaml.
TEST(VmFilesMesh, AnnotationFieldsReplaceTheMeshsDefaultConfig) {
  WorkloadGroup group = ledger();
  group.proxy_configs = {annotation_of("concurrency: 4\nstatus_port: 15030\n")};
  group.probe_yaml = "tcpSocket:\n  port: 7070\n";
  const Made out = made(group, settings_with(R"(
defaultConfig:
  concurrency: 2
  holdApplicationUntilProxyStarts: true
  tracing: {zipkin: {address: "zipkin.istio-system:9411"}}
  readinessProbe: {httpGet: {port: 1}}
)"));
  const YAML::Node config = YAML::Load(out.mesh_yaml)["defaultConfig"];
  EXPECT_EQ(config["concurrency"].Scalar(), "4");
  EXPECT_EQ(config["statusPort"].Scalar(), "15030");
  EXPECT_EQ(config["holdApplicationUntilProxyStarts"].Scalar(), "true");
  EXPECT_EQ(config["tracing"]["zipkin"]["address"].Scalar(), "zipkin.istio-system:9411");
  EXPECT_EQ(config["readinessProbe"]["tcpSocket"]["port"].Scalar(), "7070");  // the group's
  EXPECT_FALSE(config["readinessProbe"]["httpGet"].IsDefined());
  // Keys in go-yaml's order.
  EXPECT_LT(out.mesh_yaml.find("  concurrency:"), out.mesh_yaml.find("  holdApplication"));
  EXPECT_LT(out.mesh_yaml.find("  readinessProbe:"), out.mesh_yaml.find("  statusPort:"));
  EXPECT_LT(out.mesh_yaml.find("  statusPort:"), out.mesh_yaml.find("  tracing:"));
  // createClusterEnv keeps the agent's status port out of the capture.
  EXPECT_EQ(out.env.at("ISTIO_LOCAL_EXCLUDE_PORTS"), "22,15090,15021,15030");
}

TEST(VmFilesMesh, TheStatusPortDecidesTheLastExcludedPort) {
  for (const auto& [mesh, expected] : std::map<std::string, std::string>{
           {"{}", "22,15090,15021,15020"},
           {"defaultConfig: {statusPort: 15021}", "22,15090,15021"},
           {"defaultConfig: {statusPort: 15090}", "22,15090,15021"},
           {"defaultConfig: {statusPort: \"16000\"}", "22,15090,15021,16000"}}) {
    EXPECT_EQ(made(ledger(), settings_with(mesh)).env.at("ISTIO_LOCAL_EXCLUDE_PORTS"), expected)
        << mesh;
  }
}

// TRUST_DOMAIN is the mesh config's trustDomain and ISTIO_META_MESH_ID its
// defaultConfig.meshId (not the top-level meshId); istioctl applies no
// defaults, so a mesh config without them gives ''.
TEST(VmFilesMesh, TrustDomainAndMeshIdComeFromTheMeshConfig) {
  Made out = made(ledger(), settings_with(R"(
trustDomain: corp.example
meshId: top-level-is-not-read
defaultConfig: {meshId: mesh-a}
)"));
  EXPECT_EQ(out.env.at("TRUST_DOMAIN"), "corp.example");
  EXPECT_EQ(out.env.at("ISTIO_META_MESH_ID"), "mesh-a");
  EXPECT_NE(out.mesh_yaml.find("\n  meshId: mesh-a\n"), std::string::npos) << out.mesh_yaml;

  out = made(ledger(), settings_with("meshId: top-level-is-not-read\n"));
  EXPECT_EQ(out.env.at("TRUST_DOMAIN"), "");
  EXPECT_EQ(out.env.at("ISTIO_META_MESH_ID"), "");

  WorkloadGroup group = ledger();  // an annotation may set meshId too
  group.proxy_configs = {annotation_of("meshId: mesh-b")};
  EXPECT_EQ(
      made(group, settings_with("defaultConfig: {meshId: mesh-a}")).env.at("ISTIO_META_MESH_ID"),
      "mesh-b");
}

// --trust-domain and --mesh-id stand in for the mesh config's fields: they
// fill what it leaves out and must agree with what it says.
TEST(VmFilesMesh, FlagsFillTheMeshConfigButMustAgreeWithIt) {
  VmSettings s = settings_with("{}");
  s.trust_domain = "corp.example";
  s.mesh_id = "mesh-a";
  Made out = made(ledger(), s);
  EXPECT_EQ(out.env.at("TRUST_DOMAIN"), "corp.example");
  EXPECT_EQ(out.env.at("ISTIO_META_MESH_ID"), "mesh-a");

  s = settings_with("trustDomain: corp.example\ndefaultConfig: {meshId: mesh-a}\n");
  s.trust_domain = "corp.example";  // agreeing is fine
  EXPECT_EQ(made(ledger(), s).env.at("TRUST_DOMAIN"), "corp.example");
  s.trust_domain = "other.example";
  s.mesh_id = "mesh-b";
  const std::string errors = errors_of(ledger(), s);
  EXPECT_NE(errors.find("trust domain: 'other.example' differs from the mesh config's trustDomain "
                        "'corp.example'"),
            std::string::npos)
      << errors;
  EXPECT_NE(errors.find("mesh id: 'mesh-b' differs from the mesh config's defaultConfig.meshId "
                        "'mesh-a'"),
            std::string::npos)
      << errors;
}

// createClusterEnv and createMeshConfig for a revision: CA_ADDR (cluster.env
// only), discoveryAddress and the hosts name are istiod-REV's.
TEST(VmFilesMesh, ARevisionNamesItsIstiod) {
  VmSettings s = settings_with("{}");
  s.revision = "canary";
  Made out = made(ledger(), s);
  EXPECT_EQ(out.env.at("CA_ADDR"), "istiod-canary.istio-system.svc:15012");
  EXPECT_NE(out.mesh_yaml.find("  discoveryAddress: istiod-canary.istio-system.svc:15012\n"),
            std::string::npos);
  EXPECT_EQ(out.mesh_yaml.find("CA_ADDR"), std::string::npos);
  EXPECT_EQ(out.hosts, "198.51.100.7 istiod-canary.istio-system.svc\n");

  s.istio_namespace = "istio-control";
  EXPECT_EQ(made(ledger(), s).env.at("CA_ADDR"), "istiod-canary.istio-control.svc:15012");

  s = settings_with("{}");
  s.revision = "default";  // istioctl's isRevisioned: no revision
  out = made(ledger(), s);
  EXPECT_FALSE(out.env.contains("CA_ADDR"));
  EXPECT_NE(out.mesh_yaml.find("  discoveryAddress: istiod.istio-system.svc:15012\n"),
            std::string::npos);
  EXPECT_EQ(out.hosts, "198.51.100.7 istiod.istio-system.svc\n");
}

TEST(VmFilesMesh, WhereTheDiscoveryAddressComesFrom) {
  // Another namespace: istiod there (the agent's default names istio-system).
  VmSettings s = settings_with("{}");
  s.istio_namespace = "istio-control";
  Made out = made(ledger(), s);
  EXPECT_NE(out.mesh_yaml.find("  discoveryAddress: istiod.istio-control.svc:15012\n"),
            std::string::npos);
  EXPECT_FALSE(out.env.contains("CA_ADDR"));

  // The mesh config's own, kept even with a revision; a name hosts does
  // not map is worth a warning.
  s = settings_with("defaultConfig: {discoveryAddress: \"istiod.mesh.example:15012\"}");
  s.revision = "canary";
  out = made(ledger(), s);
  EXPECT_NE(out.mesh_yaml.find("  discoveryAddress: istiod.mesh.example:15012\n"),
            std::string::npos);
  EXPECT_NE(joined(out.warnings)
                .find("discoveryAddress istiod.mesh.example:15012 is not "
                      "istiod-canary.istio-system.svc"),
            std::string::npos);

  // --istiod-host names istiod for hosts and discoveryAddress alike.
  s.istiod_host = "istiod.mesh.example";
  out = made(ledger(), s);
  EXPECT_EQ(out.hosts, "198.51.100.7 istiod.mesh.example\n");
  EXPECT_EQ(out.env.at("CA_ADDR"), "istiod.mesh.example:15012");
  EXPECT_TRUE(out.warnings.empty()) << joined(out.warnings);
}

// createClusterEnv: ISTIO_SVC_IP from --internalIP, or from --externalIP
// with REWRITE_PROBE_LEGACY_LOCALHOST_DESTINATION; neither, no line.
TEST(VmFilesMesh, TheVmsOwnAddress) {
  VmSettings s = settings_with("{}");
  Made out = made(ledger(), s);
  EXPECT_FALSE(out.env.contains("ISTIO_SVC_IP"));
  s.internal_ip = "10.8.0.4";
  out = made(ledger(), s);
  EXPECT_EQ(out.env.at("ISTIO_SVC_IP"), "10.8.0.4");
  EXPECT_FALSE(out.env.contains("REWRITE_PROBE_LEGACY_LOCALHOST_DESTINATION"));
  EXPECT_EQ(out.mesh_yaml.find("ISTIO_SVC_IP"), std::string::npos);
  s.internal_ip.clear();
  s.external_ip = "2001:db8::4";
  out = made(ledger(), s);
  EXPECT_EQ(out.env.at("ISTIO_SVC_IP"), "2001:db8::4");
  EXPECT_EQ(out.env.at("REWRITE_PROBE_LEGACY_LOCALHOST_DESTINATION"), "true");
}

// pkg/util/shellescape Quote: values of only w@%+=:,./- stay bare, '' for
// empty, the rest single-quoted.
TEST(VmFilesMesh, ValuesAreQuotedAsShellescapeQuotes) {
  const VmFilesResult result = make_vm_files(
      ledger(), settings_with(R"(defaultConfig: {proxyMetadata: {BARE: "w/@%+=:,.-", EMPTY: "",
                                 SPACE: "a b", SLASH: "a\\b", DOLLAR: "$HOME"}})"));
  ASSERT_TRUE(result.ok()) << joined(result.errors);
  const std::string env = "\n" + find_vm_file(result, "cluster.env")->content;
  EXPECT_NE(env.find("\nBARE=w/@%+=:,.-\n"), std::string::npos) << env;
  EXPECT_NE(env.find("\nEMPTY=''\n"), std::string::npos);
  EXPECT_NE(env.find("\nSPACE='a b'\n"), std::string::npos);
  EXPECT_NE(env.find("\nSLASH='a\\b'\n"), std::string::npos);  // istioctl leaves it bare
  EXPECT_NE(env.find("\nDOLLAR='$HOME'\n"), std::string::npos);
}

TEST(VmFilesMesh, TemplateLabelsAreWarnedAbout) {
  WorkloadGroup group = ledger();
  group.template_labels = true;
  EXPECT_NE(joined(made(group, settings_with("{}")).warnings).find("spec.template.labels"),
            std::string::npos);
}

}  // namespace
}  // namespace meshgate::onboarding

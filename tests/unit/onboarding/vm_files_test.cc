#include "onboarding/vm_files.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <map>
#include <string>
#include <vector>

#include "tests/unit/onboarding/onboarding_test_util.h"

namespace meshgate::onboarding {
namespace {

using test::env_map;
using test::joined;
using test::kCert;

WorkloadGroup ratings() {
  WorkloadGroup group;
  group.api_version = "networking.istio.io/v1";
  group.name = "ratings";
  group.ns = "bookinfo";
  group.labels = {{"app", "ratings"}, {"class", "vm"}};
  group.ports = {{"http", 9080}, {"grpc", 3550}};
  group.service_account = "bookinfo-ratings";
  group.network = "vm-network";
  group.probe_yaml = "httpGet:\n  port: 9080\n";
  return group;
}

VmSettings settings() {
  VmSettings s;
  s.gateway_address = "203.0.113.10";
  s.cluster_id = "cluster1";
  s.trust_domain = "cluster.local";
  s.mesh_id = "mesh1";
  s.root_cert_pem = kCert;
  s.token = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOlsiaXN0aW8tY2EiXX0.c2lnbmF0dXJl\n";
  return s;
}

std::string content(const VmFilesResult& result, std::string_view name) {
  const VmFile* file = find_vm_file(result, name);
  EXPECT_NE(file, nullptr) << name;
  return file ? file->content : "";
}

constexpr const char* kClusterEnv =
    "CANONICAL_REVISION='latest'\n"
    "CANONICAL_SERVICE='ratings'\n"
    "ISTIO_INBOUND_PORTS='3550,9080'\n"
    "ISTIO_LOCAL_EXCLUDE_PORTS='22,15090,15021,15020'\n"
    "ISTIO_METAJSON_LABELS='{\"app\":\"ratings\",\"class\":\"vm\",\"service.istio.io/"
    "canonical-name\":\"ratings\",\"service.istio.io/canonical-revision\":\"latest\"}'\n"
    "ISTIO_META_CLUSTER_ID='cluster1'\n"
    "ISTIO_META_DNS_CAPTURE='true'\n"
    "ISTIO_META_MESH_ID='mesh1'\n"
    "ISTIO_META_NETWORK='vm-network'\n"
    "ISTIO_META_POD_PORTS='[{\"name\":\"grpc\",\"containerPort\":3550,\"protocol\":\"\"},"
    "{\"name\":\"http\",\"containerPort\":9080,\"protocol\":\"\"}]'\n"
    "ISTIO_META_WORKLOAD_NAME='ratings'\n"
    "ISTIO_NAMESPACE='bookinfo'\n"
    "ISTIO_SERVICE='ratings.bookinfo'\n"
    "ISTIO_SERVICE_CIDR='*'\n"
    "POD_NAMESPACE='bookinfo'\n"
    "SERVICE_ACCOUNT='bookinfo-ratings'\n"
    "TRUST_DOMAIN='cluster.local'\n";

TEST(VmFiles, ClusterEnvIsSortedAndQuoted) {
  const VmFilesResult result = make_vm_files(ratings(), settings());
  ASSERT_TRUE(result.ok()) << joined(result.errors);
  EXPECT_EQ(content(result, "cluster.env"), kClusterEnv);
  EXPECT_TRUE(result.warnings.empty()) << joined(result.warnings);
}

TEST(VmFiles, AutoregisterAddsTheGroupName) {
  VmSettings s = settings();
  s.autoregister = true;
  const VmFilesResult result = make_vm_files(ratings(), s);
  ASSERT_TRUE(result.ok());
  std::string expected = kClusterEnv;
  const std::string before = "ISTIO_META_CLUSTER_ID=";
  expected.insert(expected.find(before), "ISTIO_META_AUTO_REGISTER_GROUP='ratings'\n");
  EXPECT_EQ(content(result, "cluster.env"), expected);
  EXPECT_NE(content(result, "mesh.yaml").find("    ISTIO_META_AUTO_REGISTER_GROUP: ratings\n"),
            std::string::npos);
}

TEST(VmFiles, NoPortsCaptureAllInbound) {
  WorkloadGroup group = ratings();
  group.ports.clear();
  const VmFilesResult result = make_vm_files(group, settings());
  ASSERT_TRUE(result.ok());
  const std::string env = content(result, "cluster.env");
  EXPECT_NE(env.find("ISTIO_INBOUND_PORTS='*'\n"), std::string::npos);
  EXPECT_EQ(env.find("ISTIO_META_POD_PORTS"), std::string::npos);
}

TEST(VmFiles, MeshYamlAgreesWithClusterEnv) {
  const VmFilesResult result = make_vm_files(ratings(), settings());
  ASSERT_TRUE(result.ok());
  const YAML::Node mesh = YAML::Load(content(result, "mesh.yaml"));
  const YAML::Node config = mesh["defaultConfig"];
  // istioctl leaves it to the agent's default without a revision: the same value.
  EXPECT_EQ(config["discoveryAddress"].Scalar(), "istiod.istio-system.svc:15012");
  EXPECT_EQ(config["meshId"].Scalar(), "mesh1");  // --mesh-id stands in for defaultConfig.meshId
  EXPECT_EQ(config["readinessProbe"]["httpGet"]["port"].as<int>(), 9080);
  const YAML::Node metadata = config["proxyMetadata"];
  ASSERT_TRUE(metadata.IsMap());
  const auto env = env_map(content(result, "cluster.env"));
  size_t compared = 0;
  for (const auto& [key, value] : env) {
    if (!key.starts_with("ISTIO_META") && !key.starts_with("CANONICAL_")) continue;
    ASSERT_TRUE(metadata[key].IsScalar()) << key;
    EXPECT_EQ(metadata[key].Scalar(), value) << key;
    ++compared;
  }
  EXPECT_EQ(compared, 9u);
  // "true" is quoted, so proxyMetadata (a map of strings) reads a string.
  EXPECT_EQ(metadata["ISTIO_META_DNS_CAPTURE"].Tag(), "!");
  // Only cluster.env carries the capture settings.
  EXPECT_FALSE(metadata["ISTIO_INBOUND_PORTS"].IsDefined());
  EXPECT_EQ(metadata["SERVICE_ACCOUNT"].Scalar(), "bookinfo-ratings");
}

TEST(VmFiles, HostsPointsIstiodAtTheGateway) {
  EXPECT_EQ(content(make_vm_files(ratings(), settings()), "hosts"),
            "203.0.113.10 istiod.istio-system.svc\n");
  VmSettings s = settings();
  s.gateway_address = "2001:db8::10";
  s.istiod_host = "istiod-canary.istio-system.svc";
  const VmFilesResult result = make_vm_files(ratings(), s);
  EXPECT_EQ(content(result, "hosts"), "2001:db8::10 istiod-canary.istio-system.svc\n");
  EXPECT_NE(content(result, "mesh.yaml")
                .find("  discoveryAddress: istiod-canary.istio-system.svc:15012\n"),
            std::string::npos);
}

TEST(VmFiles, ResolverSnippetsSendGlobalToTheGateway) {
  VmFilesResult result = make_vm_files(ratings(), settings());
  std::string resolved = content(result, "resolved.conf.d/meshgate-global.conf");
  EXPECT_NE(resolved.find("[Resolve]\nDNS=203.0.113.10\nDomains=~global\n"), std::string::npos);
  EXPECT_NE(
      content(result, "dnsmasq.d/meshgate-global.conf").find("server=/global/203.0.113.10#53\n"),
      std::string::npos);
  VmSettings s = settings();
  s.gateway_address = "2001:db8::10";
  s.dns_port = 5353;
  result = make_vm_files(ratings(), s);
  resolved = content(result, "resolved.conf.d/meshgate-global.conf");
  EXPECT_NE(resolved.find("DNS=[2001:db8::10]:5353\n"), std::string::npos);
  EXPECT_NE(
      content(result, "dnsmasq.d/meshgate-global.conf").find("server=/global/2001:db8::10#5353\n"),
      std::string::npos);
  s.gateway_address = "203.0.113.10";
  EXPECT_NE(content(make_vm_files(ratings(), s), "resolved.conf.d/meshgate-global.conf")
                .find("DNS=203.0.113.10:5353\n"),
            std::string::npos);
}

TEST(VmFiles, SecretsAndModes) {
  const VmFilesResult result = make_vm_files(ratings(), settings());
  ASSERT_TRUE(result.ok());
  // The token loses its trailing newline; the certificate is kept as given.
  EXPECT_EQ(content(result, "istio-token"),
            "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOlsiaXN0aW8tY2EiXX0.c2lnbmF0dXJl");
  EXPECT_EQ(content(result, "root-cert.pem"), kCert);
  std::vector<std::string> names;
  for (const VmFile& file : result.files) {
    names.push_back(file.name);
    EXPECT_EQ(file.mode, file.name == "istio-token" ? 0600u : 0644u) << file.name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"cluster.env", "mesh.yaml", "hosts", "root-cert.pem",
                                             "istio-token", "resolved.conf.d/meshgate-global.conf",
                                             "dnsmasq.d/meshgate-global.conf"}));
}

TEST(VmFiles, NetworkComesFromEitherSideButMustAgree) {
  WorkloadGroup group = ratings();
  group.network = "";
  VmSettings s = settings();
  s.network = "vm-net-2";
  EXPECT_EQ(env_map(content(make_vm_files(group, s), "cluster.env")).at("ISTIO_META_NETWORK"),
            "vm-net-2");
  const VmFilesResult conflict = make_vm_files(ratings(), s);
  EXPECT_NE(joined(conflict.errors).find("network: 'vm-net-2' differs"), std::string::npos);
  EXPECT_TRUE(conflict.files.empty());
  const VmFilesResult none = make_vm_files(group, settings());
  ASSERT_TRUE(none.ok());
  EXPECT_NE(joined(none.warnings).find("no network"), std::string::npos);
}

TEST(VmFiles, CanonicalServiceFallsBackLikeIstio) {
  WorkloadGroup group = ratings();
  group.labels = {{"app.kubernetes.io/name", "stars"}, {"app", "ignored"}, {"version", "v3"}};
  auto env = env_map(content(make_vm_files(group, settings()), "cluster.env"));
  EXPECT_EQ(env.at("CANONICAL_SERVICE"), "stars");
  EXPECT_EQ(env.at("CANONICAL_REVISION"), "v3");
  group.labels.clear();
  env = env_map(content(make_vm_files(group, settings()), "cluster.env"));
  EXPECT_EQ(env.at("CANONICAL_SERVICE"), "ratings");
  EXPECT_EQ(env.at("CANONICAL_REVISION"), "latest");
  EXPECT_EQ(env.at("ISTIO_METAJSON_LABELS"), R"({"service.istio.io/canonical-name":"ratings",)"
                                             R"("service.istio.io/canonical-revision":"latest"})");
}

TEST(VmFiles, BadSettingsAreErrors) {
  struct Case {
    void (*edit)(VmSettings&);
    const char* error;
  };
  const Case cases[] = {
      {[](VmSettings& s) { s.gateway_address = "gateway.example.com"; }, "gateway address:"},
      {[](VmSettings& s) { s.gateway_address = "0.0.0.0"; }, "wildcard"},
      {[](VmSettings& s) { s.gateway_address = "fe80::1%eth0"; }, "gateway address:"},
      {[](VmSettings& s) { s.token = "\n"; }, "token: empty"},
      {[](VmSettings& s) { s.token = "abc\ndef"; }, "token: has a line break"},
      {[](VmSettings& s) { s.token = "abc def"; }, "token: has spaces"},
      {[](VmSettings& s) { s.root_cert_pem = "not a cert"; }, "root cert: not a PEM"},
      {[](VmSettings& s) { s.root_cert_pem += "-----BEGIN PRIVATE KEY-----\n"; }, "private key"},
      {[](VmSettings& s) { s.trust_domain = "Cluster Local"; }, "trust domain:"},
      {[](VmSettings& s) { s.cluster_id = "it's"; }, "cluster id:"},
      {[](VmSettings& s) { s.mesh_id = "a'b"; }, "mesh id:"},
      {[](VmSettings& s) { s.istiod_host = "Istiod"; }, "istiod host:"},
      {[](VmSettings& s) { s.dns_port = 0; }, "dns port:"},
      {[](VmSettings& s) { s.cluster_id = ""; }, "cluster id: missing"},
      {[](VmSettings& s) { s.internal_ip = "vm.example.com"; }, "internal ip: "},
      {[](VmSettings& s) { s.external_ip = "::"; }, "external ip: a wildcard"},
      {[](VmSettings& s) { s.internal_ip = s.external_ip = "192.0.2.1"; }, "give one of the two"},
      {[](VmSettings& s) { s.revision = "Canary"; }, "revision:"},
      {[](VmSettings& s) { s.istio_namespace = ""; }, "istio namespace:"},
  };
  for (const Case& c : cases) {
    VmSettings s = settings();
    c.edit(s);
    const VmFilesResult result = make_vm_files(ratings(), s);
    EXPECT_NE(joined(result.errors).find(c.error), std::string::npos) << c.error << " in:\n"
                                                                      << joined(result.errors);
    EXPECT_TRUE(result.files.empty());
  }
}

TEST(VmFiles, AQuoteInAValueIsRefused) {
  // parse_workload_group never lets one through; this is the last guard.
  WorkloadGroup group = ratings();
  group.labels["app"] = "it's";
  const VmFilesResult result = make_vm_files(group, settings());
  EXPECT_NE(joined(result.errors).find("CANONICAL_SERVICE: value holds a quote"),
            std::string::npos);
  EXPECT_TRUE(result.files.empty());
}

}  // namespace
}  // namespace meshgate::onboarding

// The `discovery.kubernetes` section: defaults, every key read, how it changes
// the default file sources, and every check with its path and line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/loader.h"
#include "tests/unit/config/error_matchers.h"

namespace meshgate::config {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using testing::ErrorAt;
using ::testing::IsEmpty;

using Strings = std::vector<std::string>;

TEST(KubernetesConfig, DefaultsAreOffWithIstioExposeServicesHosts) {
  const LoadResult loaded = load_config_string("");
  ASSERT_TRUE(loaded.ok());
  for (const Config& config : {default_config(), *loaded.config}) {
    const KubernetesSource& kube = config.discovery.kubernetes;
    EXPECT_FALSE(kube.enabled);
    EXPECT_EQ(kube.kubeconfig, "");  // in a pod: its service account
    EXPECT_EQ(kube.export_hosts, Strings{"*.local"});
    EXPECT_THAT(kube.include_namespaces, IsEmpty());
    EXPECT_THAT(kube.exclude_namespaces, IsEmpty());
    EXPECT_TRUE(kube.istio_resources);
    EXPECT_EQ(kube.coalesce, Duration{100});
    EXPECT_THAT(kube.gateway_selector, IsEmpty());  // export_hosts decide
    EXPECT_EQ(kube.gateway_port, 15443);
    EXPECT_EQ(kube.gateway_namespace, "istio-system");
    EXPECT_EQ(kube.system_namespace, "istio-system");
    EXPECT_EQ(kube.cluster_id, "Kubernetes");  // istiod's default CLUSTER_ID
  }
}

TEST(KubernetesConfig, ReadsEveryKey) {
  const LoadResult result = load_config_string(R"(discovery:
  kubernetes:
    enabled: true
    kubeconfig: /etc/meshgate/kubeconfig
    export_hosts: ["*.local", httpbin.bar.svc.cluster.local, "*.mesh.example"]
    include_namespaces: [bar, foo-2]
    exclude_namespaces: [kube-system]
    istio_resources: false
    coalesce: 0s
    gateway_selector: {istio: eastwestgateway, topology.istio.io/network: network1}
    gateway_port: 8443
    gateway_namespace: mesh-gw
    system_namespace: istio-root
    cluster_id: cluster1
)");
  ASSERT_TRUE(result.ok()) << ::testing::PrintToString(result.errors);
  const KubernetesSource& kube = result.config->discovery.kubernetes;
  EXPECT_TRUE(kube.enabled);
  EXPECT_EQ(kube.kubeconfig, "/etc/meshgate/kubeconfig");
  EXPECT_EQ(kube.export_hosts,
            (Strings{"*.local", "httpbin.bar.svc.cluster.local", "*.mesh.example"}));
  EXPECT_EQ(kube.include_namespaces, (Strings{"bar", "foo-2"}));
  EXPECT_EQ(kube.exclude_namespaces, Strings{"kube-system"});
  EXPECT_FALSE(kube.istio_resources);
  EXPECT_EQ(kube.coalesce, Duration{0});
  EXPECT_EQ(kube.gateway_selector,
            (std::map<std::string, std::string>{{"istio", "eastwestgateway"},
                                                {"topology.istio.io/network", "network1"}}));
  EXPECT_EQ(kube.gateway_port, 8443);
  EXPECT_EQ(kube.gateway_namespace, "mesh-gw");
  EXPECT_EQ(kube.system_namespace, "istio-root");
  EXPECT_EQ(kube.cluster_id, "cluster1");
}

TEST(KubernetesConfig, GatewayModeKeysAreCheckedWithTheirLines) {
  const LoadResult result = load_config_string(R"(discovery:
  kubernetes:
    gateway_selector: {"bad key": x, istio: "-eastwest"}
    gateway_namespace: Istio_System
    system_namespace: ""
    cluster_id: "cluster 1"
    gateway_port: 0
)");
  EXPECT_THAT(
      result.errors,
      ElementsAre(
          ErrorAt("discovery.kubernetes.gateway_selector", 3, "not a valid label key: 'bad key'"),
          ErrorAt("discovery.kubernetes.gateway_selector.istio", 3,
                  "not a valid label value: '-eastwest'"),
          ErrorAt("discovery.kubernetes.gateway_namespace", 4, "'Istio_System'"),
          ErrorAt("discovery.kubernetes.system_namespace", 5, "namespace name: ''"),
          ErrorAt("discovery.kubernetes.cluster_id", 6, "not a valid cluster ID: 'cluster 1'"),
          ErrorAt("discovery.kubernetes.gateway_port", 7, "(1..65535)")));
}

TEST(KubernetesConfig, GatewaySelectorMustBeAMapOfStrings) {
  EXPECT_THAT(
      load_config_string("discovery:\n  kubernetes:\n    gateway_selector: [istio]\n").errors,
      ElementsAre(ErrorAt("discovery.kubernetes.gateway_selector", 3, "expected a map")));
  EXPECT_THAT(
      load_config_string("discovery:\n  kubernetes:\n    gateway_selector: {istio: [a]}\n").errors,
      ElementsAre(ErrorAt("discovery.kubernetes.gateway_selector.istio", 3, "expected a string")));
}

TEST(KubernetesConfig, EnabledWithoutFilesHasNoFileSource) {
  const LoadResult on = load_config_string("discovery:\n  kubernetes: {enabled: true}\n");
  ASSERT_TRUE(on.ok()) << ::testing::PrintToString(on.errors);
  EXPECT_THAT(on.config->discovery.files, IsEmpty());
}

TEST(KubernetesConfig, EnabledWithFilesKeepsBoth) {
  const LoadResult result = load_config_string(R"(discovery:
  kubernetes: {enabled: true, export_hosts: []}
  files:
    - {path: /etc/meshgate/extra.yaml, poll_interval: 2s}
)");
  ASSERT_TRUE(result.ok()) << ::testing::PrintToString(result.errors);
  const Discovery& discovery = result.config->discovery;
  EXPECT_TRUE(discovery.kubernetes.enabled);
  EXPECT_THAT(discovery.kubernetes.export_hosts, IsEmpty());  // exports nothing, allowed
  ASSERT_EQ(discovery.files.size(), 1U);
  EXPECT_EQ(discovery.files[0].path, "/etc/meshgate/extra.yaml");
}

TEST(KubernetesConfig, ExportHostsAreHostsOrSuffixPatterns) {
  const LoadResult result = load_config_string(R"(discovery:
  kubernetes:
    export_hosts:
      - "*.local"
      - Httpbin.bar
      - "*."
      - "*.*.local"
      - a..b
      - "foo*.local"
)");
  EXPECT_THAT(result.errors,
              ElementsAre(ErrorAt("discovery.kubernetes.export_hosts[1]", 5,
                                  "not a host or host pattern: 'Httpbin.bar'"),
                          ErrorAt("discovery.kubernetes.export_hosts[2]", 6, "'*.'"),
                          ErrorAt("discovery.kubernetes.export_hosts[3]", 7, "'*.*.local'"),
                          ErrorAt("discovery.kubernetes.export_hosts[4]", 8, "'a..b'"),
                          ErrorAt("discovery.kubernetes.export_hosts[5]", 9, "'foo*.local'")));
}

TEST(KubernetesConfig, BareStarIsRefused) {
  EXPECT_THAT(load_config_string("discovery:\n  kubernetes:\n    export_hosts: [\"*.local\", "
                                 "\"*\"]\n")
                  .errors,
              ElementsAre(ErrorAt("discovery.kubernetes.export_hosts[1]", 3,
                                  "'*' would export every host of the cluster; use \"*.local\" or "
                                  "list the hosts")));
}

TEST(KubernetesConfig, NamespacesAreDns1123Labels) {
  const std::string too_long(64, 'a');
  const LoadResult result = load_config_string(
      "discovery:\n  kubernetes:\n"
      "    include_namespaces: [ok, Default, a.b]\n"
      "    exclude_namespaces: [-x, " +
      too_long + ", " + std::string(63, 'b') + "]\n");
  EXPECT_THAT(result.errors,
              ElementsAre(ErrorAt("discovery.kubernetes.include_namespaces[1]", 3,
                                  "not a valid namespace name: 'Default'"),
                          ErrorAt("discovery.kubernetes.include_namespaces[2]", 3, "'a.b'"),
                          ErrorAt("discovery.kubernetes.exclude_namespaces[0]", 4, "'-x'"),
                          ErrorAt("discovery.kubernetes.exclude_namespaces[1]", 4,
                                  "not a valid namespace name")));
}

TEST(KubernetesConfig, NamespaceInBothListsIsAnError) {
  const LoadResult result = load_config_string(R"(discovery:
  kubernetes:
    include_namespaces: [foo, bar]
    exclude_namespaces:
      - kube-system
      - bar
)");
  EXPECT_THAT(result.errors, ElementsAre(ErrorAt("discovery.kubernetes.exclude_namespaces[1]", 6,
                                                 "namespace 'bar' is also listed in "
                                                 "discovery.kubernetes.include_namespaces[1]")));
}

TEST(KubernetesConfig, CoalesceIsZeroToTenSeconds) {
  for (const char* ok : {"0s", "100ms", "10s"}) {
    EXPECT_TRUE(
        load_config_string(std::string("discovery: {kubernetes: {coalesce: ") + ok + "}}\n").ok())
        << ok;
  }
  EXPECT_THAT(
      load_config_string("discovery:\n  kubernetes:\n    coalesce: 10001ms\n").errors,
      ElementsAre(ErrorAt("discovery.kubernetes.coalesce", 3, "duration too large (max 10s)")));
  EXPECT_THAT(load_config_string("discovery:\n  kubernetes:\n    coalesce: -1s\n").errors,
              ElementsAre(ErrorAt("discovery.kubernetes.coalesce", 3, "negative duration")));
  EXPECT_THAT(load_config_string("discovery:\n  kubernetes:\n    coalesce: 100\n").errors,
              ElementsAre(ErrorAt("discovery.kubernetes.coalesce", 3, "missing unit")));
}

TEST(KubernetesConfig, UnknownKeySuggestsTheClosest) {
  EXPECT_THAT(load_config_string("discovery:\n  kubernetes:\n    export_host: []\n").errors,
              ElementsAre(ErrorAt("discovery.kubernetes.export_host", 3,
                                  "unknown key 'export_host'; did you mean 'export_hosts'?")));
  EXPECT_THAT(load_config_string("discovery:\n  kubernets: {enabled: true}\n").errors,
              ElementsAre(ErrorAt("discovery.kubernets", 2, "did you mean 'kubernetes'?")));
}

TEST(KubernetesConfig, WrongTypesSayWhatWasFound) {
  EXPECT_THAT(load_config_string("discovery:\n  kubernetes:\n    export_hosts: \"x\"\n").errors,
              ElementsAre(ErrorAt("discovery.kubernetes.export_hosts", 3,
                                  "expected a list, found the quoted string 'x'")));
  EXPECT_THAT(load_config_string("discovery:\n  kubernetes:\n    enabled: yes\n").errors,
              ElementsAre(ErrorAt("discovery.kubernetes.enabled", 3, "expected a boolean")));
  EXPECT_THAT(
      load_config_string("discovery:\n  kubernetes:\n    include_namespaces: [a, [b]]\n").errors,
      ElementsAre(ErrorAt("discovery.kubernetes.include_namespaces[1]", 3,
                          "expected a string, found a list")));
  EXPECT_THAT(load_config_string("discovery:\n  kubernetes: true\n").errors,
              ElementsAre(ErrorAt("discovery.kubernetes", 2, "expected a mapping")));
  // A refused `enabled` stays false: the demo registry is not dropped on its word.
  EXPECT_FALSE(load_config_string("discovery: {kubernetes: {enabled: 1}}\n").ok());
}

// Each test gets its own directory, removed afterwards.
class KubernetesConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string name = (fs::temp_directory_path() / "meshgate-kube-config-XXXXXX").string();
    ASSERT_NE(mkdtemp(name.data()), nullptr);
    dir_ = name;
  }
  void TearDown() override { fs::remove_all(dir_); }

  LoadResult load_file(const std::string& relative, const std::string& content) {
    const fs::path path = dir_ / relative;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
    return load_config_file(path.string());
  }

  fs::path dir_;
};

TEST_F(KubernetesConfigFile, RelativeKubeconfigFollowsTheConfigFile) {
  const LoadResult relative =
      load_file("etc/meshgate.yaml", "discovery: {kubernetes: {kubeconfig: kube/config}}\n");
  ASSERT_TRUE(relative.ok()) << ::testing::PrintToString(relative.errors);
  EXPECT_EQ(relative.config->discovery.kubernetes.kubeconfig,
            (dir_ / "etc" / "kube/config").string());

  const LoadResult absolute =
      load_file("abs.yaml", "discovery: {kubernetes: {kubeconfig: /root/.kube/config}}\n");
  ASSERT_TRUE(absolute.ok());
  EXPECT_EQ(absolute.config->discovery.kubernetes.kubeconfig, "/root/.kube/config");

  // Empty means the pod's service account, written or not.
  const LoadResult in_cluster = load_file("pod.yaml", "discovery: {kubernetes: {enabled: true}}\n");
  ASSERT_TRUE(in_cluster.ok());
  EXPECT_EQ(in_cluster.config->discovery.kubernetes.kubeconfig, "");
}

}  // namespace
}  // namespace meshgate::config

#include "onboarding/workload_group.h"
#include "discovery/names.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>

namespace meshgate::onboarding {
namespace {

// Shaped like the VM WorkloadGroup of Istio's "Virtual Machine Installation"
// guide (istioctl x workload group create --labels app=... ), with the
// network and ports a VM on another network has.
constexpr const char* kRatings = R"(apiVersion: networking.istio.io/v1
kind: WorkloadGroup
metadata:
  name: ratings
  namespace: bookinfo
spec:
  metadata:
    labels:
      app: ratings
      class: vm
  template:
    serviceAccount: bookinfo-ratings
    network: vm-network
    ports:
      http: 9080
      grpc: 3550
  probe:
    periodSeconds: 5
    httpGet:
      path: /ready
      port: 9080
)";

// All the errors of a parse, one per line, for EXPECT_NE(..find..).
std::string errors_of(const std::string& yaml) {
  const WorkloadGroupResult result = parse_workload_group(yaml);
  EXPECT_FALSE(result.ok()) << yaml;
  std::string out;
  for (const base::Error& error : result.errors)
    out += base::describe(error) + "\n";
  return out;
}

// kRatings with one line replaced.
std::string ratings_with(const std::string& from, const std::string& to) {
  std::string text = kRatings;
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(WorkloadGroup, ParsesTheVmExample) {
  const WorkloadGroupResult result = parse_workload_group(kRatings);
  ASSERT_TRUE(result.ok()) << base::describe(result.errors);
  const WorkloadGroup& group = *result.group;
  EXPECT_EQ(group.api_version, "networking.istio.io/v1");
  EXPECT_EQ(group.name, "ratings");
  EXPECT_EQ(group.ns, "bookinfo");
  EXPECT_EQ(group.labels,
            (std::map<std::string, std::string>{{"app", "ratings"}, {"class", "vm"}}));
  EXPECT_EQ(group.ports, (std::map<std::string, uint16_t>{{"grpc", 3550}, {"http", 9080}}));
  EXPECT_EQ(group.service_account, "bookinfo-ratings");
  EXPECT_EQ(group.network, "vm-network");
  EXPECT_TRUE(group.proxy_configs.empty());
  EXPECT_FALSE(group.template_labels);
}

TEST(WorkloadGroup, DefaultsAndOlderApiVersions) {
  const WorkloadGroupResult result = parse_workload_group(
      "apiVersion: networking.istio.io/v1beta1\nkind: WorkloadGroup\n"
      "metadata: {name: db, namespace: data}\nspec:\n  template: {}\n");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.group->service_account, "default");  // as istioctl's readWorkloadGroup
  EXPECT_EQ(result.group->network, "");
  EXPECT_TRUE(result.group->ports.empty());
  EXPECT_TRUE(result.group->probe_yaml.empty());
  EXPECT_TRUE(parse_workload_group("apiVersion: networking.istio.io/v1alpha3\n"
                                   "kind: WorkloadGroup\nmetadata: {name: a, namespace: b}\n")
                  .ok());
}

TEST(WorkloadGroup, TemplateLabelsOverrideMetadataLabels) {
  const auto result = parse_workload_group(ratings_with("    serviceAccount:",
                                                        "    labels: {class: bare-metal, "
                                                        "version: v2}\n    serviceAccount:"));
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result.group->template_labels);  // istioctl prints a warning for them
  EXPECT_EQ(result.group->labels.at("class"), "bare-metal");
  EXPECT_EQ(result.group->labels.at("version"), "v2");
  EXPECT_EQ(result.group->labels.at("app"), "ratings");
}

TEST(WorkloadGroup, ProbeIsRewrittenAsBlockYaml) {
  const auto result = parse_workload_group(ratings_with(
      "      port: 9080\n",
      "      port: 9080\n      httpHeaders:\n      - name: X-Probe\n        value: \"true\"\n"));
  ASSERT_TRUE(result.ok());
  // As go-yaml writes it for istioctl: keys sorted, list items at their
  // key's indentation.
  EXPECT_EQ(result.group->probe_yaml,
            "httpGet:\n"
            "  httpHeaders:\n"
            "  - name: X-Probe\n"
            "    value: \"true\"\n"
            "  path: /ready\n"
            "  port: 9080\n"
            "periodSeconds: 5\n");
  const YAML::Node probe = YAML::Load(result.group->probe_yaml);
  EXPECT_EQ(probe["httpGet"]["httpHeaders"][0]["value"].Scalar(), "true");
  EXPECT_EQ(probe["httpGet"]["httpHeaders"][0]["value"].Tag(), "!");  // still a string
}

// istioctl/pkg/workload/workload.go readWorkloadGroup unmarshals the file
// without looking at apiVersion or kind (its golden inputs have no
// apiVersion). Missing, both are fine; present, they must name a
// WorkloadGroup.
TEST(WorkloadGroup, ApiVersionAndKindMayBeMissingButNotWrong) {
  const auto without_version =
      parse_workload_group(ratings_with("apiVersion: networking.istio.io/v1\n", ""));
  ASSERT_TRUE(without_version.ok()) << base::describe(without_version.errors);
  EXPECT_EQ(without_version.group->api_version, "");
  EXPECT_EQ(without_version.group->name, "ratings");
  EXPECT_TRUE(parse_workload_group(ratings_with("kind: WorkloadGroup\n", "")).ok());
  EXPECT_TRUE(parse_workload_group(
                  ratings_with("apiVersion: networking.istio.io/v1\nkind: WorkloadGroup\n", ""))
                  .ok());
  EXPECT_NE(errors_of(ratings_with("kind: WorkloadGroup", "kind: WorkloadEntry"))
                .find("kind: expected WorkloadGroup, found WorkloadEntry"),
            std::string::npos);
  EXPECT_NE(
      errors_of(ratings_with("networking.istio.io/v1", "apps/v1"))
          .find("apiVersion: expected networking.istio.io/v1, v1beta1 or v1alpha3, found apps/v1"),
      std::string::npos);
  EXPECT_NE(errors_of(ratings_with("networking.istio.io/v1", "networking.istio.io/v2"))
                .find("apiVersion: "),
            std::string::npos);
}

// yaml-cpp 0.7's LoadAll() loops forever (growing) on a stray ',' where a
// document should start; found by fuzzing the config loader.
TEST(WorkloadGroup, AStrayCommaIsASyntaxErrorNotAnEndlessParse) {
  for (const char* yaml : {",)s: \x7f", "kind: WorkloadGroup\n---\n,\n"}) {
    const WorkloadGroupResult result = parse_workload_group(yaml);
    EXPECT_FALSE(result.ok());
    ASSERT_FALSE(result.errors.empty());
    EXPECT_NE(result.errors.front().message.find("unexpected token where a document should start"),
              std::string::npos)
        << base::describe(result.errors);
  }
}

TEST(WorkloadGroup, NamesMustBeDns1123Labels) {
  const std::string errors =
      errors_of(ratings_with("  name: ratings\n  namespace: bookinfo\n", "  name: Ratings_VM\n"));
  EXPECT_NE(errors.find("metadata.name: must be a DNS-1123 label"), std::string::npos);
  EXPECT_NE(errors.find("metadata.namespace: missing"), std::string::npos);
  EXPECT_NE(errors_of(ratings_with("bookinfo-ratings", "Bad_SA")).find("serviceAccount"),
            std::string::npos);
}

TEST(WorkloadGroup, PortsMustBeNumbersInRange) {
  for (const char* bad : {"0", "65536", "web", "\"9080\"", "-1", "80.5"}) {
    const std::string errors = errors_of(ratings_with("http: 9080", std::string("http: ") + bad));
    EXPECT_NE(errors.find("spec.template.ports.http: "), std::string::npos) << bad;
    EXPECT_NE(errors.find("1 to 65535"), errors.find("1..65535")) << errors;
  }
  EXPECT_NE(errors_of(ratings_with("http: 9080", "HTTP_1: 9080")).find("port name"),
            std::string::npos);
  EXPECT_TRUE(parse_workload_group(ratings_with("http: 9080", "http: 65535")).ok());
}

TEST(WorkloadGroup, LabelsMustBeKubernetesLabels) {
  EXPECT_NE(errors_of(ratings_with("class: vm", "class: \"it's\""))
                .find("spec.metadata.labels.class: not a valid label value"),
            std::string::npos);
  EXPECT_NE(errors_of(ratings_with("class: vm", "\"a b\": vm")).find("not a valid key"),
            std::string::npos);
  EXPECT_NE(errors_of(ratings_with("class: vm", "class: [vm]")).find("expected a string"),
            std::string::npos);
  EXPECT_NE(errors_of(ratings_with("network: vm-network", "network: \"net work\"")).find("network"),
            std::string::npos);
}

TEST(WorkloadGroup, UnknownFieldsAreErrors) {
  EXPECT_NE(errors_of(ratings_with("  template:", "  tempalte:"))
                .find("spec.tempalte: unknown key 'tempalte'; did you mean 'template'?"),
            std::string::npos);
  EXPECT_NE(errors_of(ratings_with("    network:", "    netwrok:"))
                .find("spec.template.netwrok: unknown key 'netwrok'; did you mean 'network'?"),
            std::string::npos);
  // Fields istioctl ignores, and what `kubectl get -o yaml` adds, are accepted.
  EXPECT_TRUE(parse_workload_group(ratings_with("    network:", "    weight: 3\n    network:") +
                                   "status: {}\n")
                  .ok());
}

TEST(WorkloadGroup, MalformedInputIsAnErrorNotAnException) {
  EXPECT_NE(errors_of("kind: [WorkloadGroup\n").find("line "), std::string::npos);
  EXPECT_NE(errors_of(std::string(kRatings) + "---\n" + kRatings).find("found 2"),
            std::string::npos);
  EXPECT_NE(errors_of("").find("found 0"), std::string::npos);
  EXPECT_NE(errors_of("- a list\n").find("expected a mapping"), std::string::npos);
  EXPECT_NE(errors_of(std::string(kMaxWorkloadGroupBytes + 1, ' ')).find("larger than"),
            std::string::npos);
  std::string deep =
      "apiVersion: networking.istio.io/v1\nkind: WorkloadGroup\n"
      "metadata: {name: a, namespace: b}\nspec:\n  probe:\n";
  for (size_t i = 0; i < 20; ++i)
    deep += std::string(4 + 2 * i, ' ') + "a:\n";
  EXPECT_NE(errors_of(deep).find("spec.probe: nested deeper"), std::string::npos);
}

// istioctl/pkg/workload/workload.go createMeshConfig applies
// proxy.istio.io/config from metadata.annotations, then from
// spec.metadata.annotations.
TEST(WorkloadGroup, ProxyConfigAnnotationsAreReadInIstioctlsOrder) {
  std::string yaml = ratings_with("    labels:",
                                  "    annotations:\n"
                                  "      proxy.istio.io/config: |\n"
                                  "        proxyMetadata: {WHO: spec}\n"
                                  "        statusPort: 15999\n"
                                  "    labels:");
  const std::string from = "  namespace: bookinfo\n";
  yaml.replace(yaml.find(from), from.size(),
               from +
                   "  annotations:\n"
                   "    proxy.istio.io/config: '{meshId: m2, proxyMetadata: {WHO: group}}'\n");
  const auto result = parse_workload_group(yaml);
  ASSERT_TRUE(result.ok()) << base::describe(result.errors);
  const auto& configs = result.group->proxy_configs;
  ASSERT_EQ(configs.size(), 2u);
  EXPECT_EQ(configs[0].mesh_id, "m2");
  EXPECT_EQ(configs[0].proxy_metadata->at("WHO"), "group");
  EXPECT_EQ(configs[1].status_port, 15999u);
  EXPECT_EQ(configs[1].proxy_metadata->at("WHO"), "spec");
}

TEST(WorkloadGroup, ABadProxyConfigAnnotationIsNamed) {
  const auto with = [](const std::string& value) {
    return ratings_with(
        "    labels:", "    annotations:\n      proxy.istio.io/config: " + value + "\n    labels:");
  };
  EXPECT_NE(errors_of(with("'proxyMetadata: {\"A;B\": x}'"))
                .find("spec.metadata.annotations.proxy.istio.io/config.proxyMetadata.A;B: not an "
                      "environment variable name"),
            std::string::npos);
  EXPECT_NE(errors_of(with("\"proxyMetadata: {A: \\\"it's\\\"}\""))
                .find("spec.metadata.annotations.proxy.istio.io/config.proxyMetadata.A: not a "
                      "value cluster.env can hold"),
            std::string::npos);
  EXPECT_NE(errors_of(with("'[not, a, mapping]'"))
                .find("spec.metadata.annotations.proxy.istio.io/config: expected a mapping"),
            std::string::npos);
  EXPECT_NE(errors_of(with("'{a: [b'")).find("proxy.istio.io/config: line "), std::string::npos);
}

TEST(WorkloadGroup, NameChecksAndYamlStrings) {
  EXPECT_TRUE(discovery::is_dns1123_label("a-1"));
  EXPECT_FALSE(discovery::is_dns1123_label("-a"));
  EXPECT_FALSE(discovery::is_dns1123_label(std::string(64, 'a')));
  EXPECT_TRUE(discovery::is_dns_name("istiod.istio-system.svc"));
  EXPECT_FALSE(discovery::is_dns_name("a..b"));
  EXPECT_EQ(yaml_string("ratings"), "ratings");
  EXPECT_EQ(yaml_string("true"), "\"true\"");
  EXPECT_EQ(yaml_string(""), "\"\"");
  EXPECT_EQ(yaml_string("1.10"), "\"1.10\"");
  EXPECT_EQ(yaml_string(R"({"a":"b"})"), R"('{"a":"b"}')");
  EXPECT_EQ(yaml_string("istiod.istio-system.svc:15012"), "istiod.istio-system.svc:15012");
  EXPECT_EQ(yaml_string("a:"), "'a:'");
  EXPECT_EQ(yaml_string("a\nb"), "\"a\\x0ab\"");
  for (const char* text : {"No", "~", "*", "a: b", "it's", "{\"x\":\"it's\"}", "-1", "a:b",
                           "a:", "http://x:1/y", "5s", ".inf"}) {
    EXPECT_EQ(YAML::Load("k: " + yaml_string(text))["k"].Scalar(), text) << text;
  }
}

}  // namespace
}  // namespace meshgate::onboarding

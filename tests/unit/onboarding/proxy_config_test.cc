// Reading the mesh config and proxy.istio.io/config as istioctl's
// createMeshConfig does (istioctl/pkg/workload/workload.go with
// pkg/util/protomarshal ApplyYAML), and writing YAML in go-yaml v2's shape
// (gopkg.in/yaml.v2 sorter.go key order, as sigs.k8s.io/yaml.Marshal uses).
#include "onboarding/proxy_config.h"
#include "config/yaml_reader.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "tests/unit/onboarding/onboarding_test_util.h"

namespace meshgate::onboarding {
namespace {

using test::joined;

std::string errors_of(const std::string& yaml) {
  const MeshConfigResult result = parse_mesh_config(yaml);
  EXPECT_FALSE(result.ok()) << yaml;
  return joined(result.errors);
}

TEST(MeshConfig, ReadsWhatVmFilesUses) {
  const MeshConfigResult result = parse_mesh_config(R"(
accessLogFile: /dev/stdout
trustDomain: corp.example
defaultConfig:
  discoveryAddress: istiod.istio-system.svc:15012
  meshId: mesh1
  statusPort: 15020
  proxyMetadata:
    ISTIO_META_DNS_AUTO_ALLOCATE: "true"
    EMPTY:
  tracing:
    sampling: 1.5
    zipkin: {address: zipkin.istio-system:9411}
  holdApplicationUntilProxyStarts: yes
  proxy_stats_matcher: {inclusionPrefixes: [cluster.outbound, listener]}
)");
  ASSERT_TRUE(result.ok()) << joined(result.errors);
  const MeshConfig& mesh = *result.mesh;
  EXPECT_EQ(mesh.trust_domain, "corp.example");
  const ProxyConfig& config = mesh.default_config;
  EXPECT_EQ(config.discovery_address, "istiod.istio-system.svc:15012");
  EXPECT_EQ(config.mesh_id, "mesh1");
  EXPECT_EQ(config.status_port, 15020u);
  EXPECT_EQ(config.proxy_metadata, (std::map<std::string, std::string>{
                                       {"EMPTY", ""}, {"ISTIO_META_DNS_AUTO_ALLOCATE", "true"}}));
  ASSERT_EQ(config.other.size(), 3u);
  EXPECT_EQ(config.other.at("tracing").block,
            "sampling: 1.5\nzipkin:\n  address: zipkin.istio-system:9411\n");
  EXPECT_EQ(config.other.at("holdApplicationUntilProxyStarts").inline_text, "true");
  // A proto field may be spelt as in the .proto; it is written in JSON form.
  EXPECT_EQ(config.other.at("proxyStatsMatcher").block,
            "inclusionPrefixes:\n- cluster.outbound\n- listener\n");
}

TEST(MeshConfig, EmptyAndNullAreAnEmptyMeshConfig) {
  for (const char* yaml : {"", "{}", "defaultConfig:\n", "# nothing\n", "defaultConfig: {}"}) {
    const MeshConfigResult result = parse_mesh_config(yaml);
    ASSERT_TRUE(result.ok()) << yaml << ": " << joined(result.errors);
    EXPECT_EQ(result.mesh->trust_domain, "");
    EXPECT_FALSE(result.mesh->default_config.proxy_metadata);
  }
}

// Everything that could reach cluster.env is checked; errors name the field.
TEST(MeshConfig, HostileValuesAreRefused) {
  EXPECT_NE(errors_of("defaultConfig: {proxyMetadata: {\"X;rm -rf /\": a}}")
                .find("defaultConfig.proxyMetadata.X;rm -rf /: not an environment variable name"),
            std::string::npos);
  EXPECT_NE(errors_of("defaultConfig: {proxyMetadata: {\"1X\": a}}").find("not an environment"),
            std::string::npos);
  EXPECT_NE(errors_of("defaultConfig: {proxyMetadata: {A: \"it's\"}}")
                .find("defaultConfig.proxyMetadata.A: not a value cluster.env can hold"),
            std::string::npos);
  EXPECT_NE(errors_of("defaultConfig: {proxyMetadata: {A: \"a\\nb\"}}").find("cluster.env"),
            std::string::npos);
  EXPECT_NE(errors_of("defaultConfig: {proxyMetadata: {A: {b: c}}}").find("expected a string"),
            std::string::npos);
  EXPECT_NE(errors_of("defaultConfig: {proxyMetadata: [a]}").find("expected a mapping"),
            std::string::npos);
  EXPECT_NE(errors_of("defaultConfig: {meshId: \"m'1\"}").find("defaultConfig.meshId: must be"),
            std::string::npos);
  EXPECT_NE(errors_of("defaultConfig: {statusPort: 70000}").find("defaultConfig.statusPort"),
            std::string::npos);
  EXPECT_NE(errors_of("defaultConfig: {discoveryAddress: \"a b:1\"}").find("discoveryAddress"),
            std::string::npos);
  EXPECT_NE(errors_of("trustDomain: Corp.Example").find("trustDomain: must be lowercase"),
            std::string::npos);
  EXPECT_NE(errors_of("defaultConfig: [1]").find("defaultConfig: expected a mapping"),
            std::string::npos);
  EXPECT_NE(errors_of("defaultConfig: {\"bad key\": 1}").find("not a ProxyConfig field name"),
            std::string::npos);
  EXPECT_NE(errors_of("a: [").find("line "), std::string::npos);
  EXPECT_NE(errors_of("a: 1\n---\nb: 2\n").find("expected one YAML document, found 2"),
            std::string::npos);
}

TEST(MeshConfig, SizesAreBounded) {
  EXPECT_NE(errors_of(std::string(kMaxMeshConfigBytes + 1, ' ')).find("larger than"),
            std::string::npos);
  std::string many = "defaultConfig:\n  proxyMetadata:\n";
  for (size_t i = 0; i <= kMaxProxyMetadata; ++i)
    many += "    K" + std::to_string(i) + ": v\n";
  EXPECT_NE(errors_of(many).find("more than 128 entries"), std::string::npos);
  EXPECT_NE(errors_of("defaultConfig: {proxyMetadata: {A: " +
                      std::string(kMaxEnvValueBytes + 1, 'a') + "}}")
                .find("at most 32768 bytes"),
            std::string::npos);
  std::string deep = "defaultConfig:\n  tracing:\n";
  for (size_t i = 0; i < 20; ++i)
    deep += std::string(4 + 2 * i, ' ') + "a:\n";
  EXPECT_NE(errors_of(deep).find("defaultConfig.tracing: nested deeper than"), std::string::npos);
  EXPECT_NE(errors_of("defaultConfig: {tracing: {" + std::string(300, 'k') + ": 1}}")
                .find("defaultConfig.tracing: a key longer than 256 bytes"),
            std::string::npos);
  // Aliases are copies: a few lines must not become millions of values.
  std::string laughs = "a: &a [x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'h'; ++c) {
    laughs += std::string(1, c) + ": &" + c + " [*" + static_cast<char>(c - 1) + ", *" +
              static_cast<char>(c - 1) + ", *" + static_cast<char>(c - 1) + ", *" +
              static_cast<char>(c - 1) + "]\n";
  }
  EXPECT_NE(errors_of(laughs + "defaultConfig: {tracing: *h}\n").find("more than 4096 values"),
            std::string::npos);
}

// createMeshConfig with one annotation: protomarshal.ApplyYAML replaces each
// field it sets; its proxyMetadata is merged over the mesh's key by key.
TEST(ProxyConfig, AnAnnotationReplacesFieldsAndMergesMetadata) {
  ProxyConfig base = parse_mesh_config(R"(
defaultConfig:
  discoveryAddress: istiod.istio-system.svc:15012
  concurrency: 2
  tracing: {sampling: 1, zipkin: {address: z:9411}}
  proxyMetadata: {A: mesh, B: mesh}
)")
                         .mesh->default_config;
  ProxyConfig overlay;
  base::Errors errors;
  parse_proxy_config_text("tracing: {sampling: 5}\nproxyMetadata: {B: annotation, C: annotation}",
                          config::yaml::Value{{}, "annotation", 1}, overlay, errors);
  ASSERT_TRUE(errors.empty()) << joined(errors);
  apply_proxy_config(base, overlay);
  EXPECT_EQ(base.discovery_address, "istiod.istio-system.svc:15012");
  EXPECT_EQ(base.other.at("concurrency").inline_text, "2");
  EXPECT_EQ(base.other.at("tracing").block, "sampling: 5\n");  // replaced whole, not merged
  EXPECT_EQ(base.proxy_metadata, (std::map<std::string, std::string>{
                                     {"A", "mesh"}, {"B", "annotation"}, {"C", "annotation"}}));
}

TEST(GoYaml, KeyOrder) {
  // At the first difference a non-letter sorts before a letter ...
  EXPECT_TRUE(go_yaml_less("ISTIO_META_WORKLOAD_NAME", "ISTIO_METAJSON_LABELS"));
  EXPECT_FALSE(go_yaml_less("ISTIO_METAJSON_LABELS", "ISTIO_META_WORKLOAD_NAME"));
  EXPECT_TRUE(go_yaml_less("a_b", "ab"));
  // ... but after a digit the letter comes first.
  EXPECT_TRUE(go_yaml_less("a1b", "a1_"));
  // Runs of digits compare as numbers; then the shorter run first.
  EXPECT_TRUE(go_yaml_less("port2", "port10"));
  EXPECT_TRUE(go_yaml_less("a1", "a01"));
  EXPECT_TRUE(go_yaml_less("a10", "a100"));
  // Letters by code point; a prefix first.
  EXPECT_TRUE(go_yaml_less("Zeta", "alpha"));
  EXPECT_TRUE(go_yaml_less("abc", "abcd"));
  EXPECT_FALSE(go_yaml_less("abc", "abc"));
  std::vector<std::string> keys = {"proxyMetadata", "discoveryAddress", "readinessProbe",
                                   "meshId",        "statusPort",       "concurrency"};
  sort_go_yaml(keys);
  EXPECT_EQ(keys, (std::vector<std::string>{"concurrency", "discoveryAddress", "meshId",
                                            "proxyMetadata", "readinessProbe", "statusPort"}));
}

TEST(GoYaml, RenderedValuesReadBackTheSame) {
  const YAML::Node node = YAML::Load(R"(
b: [1, -2, 0.5, true, off, null, "true", "07", x y, "it's", {k: v, j: [w]}, [[a]]]
a: {"z:z": "", n: ~}
)");
  config::yaml::Reader reader;
  const auto value = render_yaml(config::yaml::Value{node, "x", 1}, reader);
  ASSERT_TRUE(value) << joined(reader.take_errors());
  EXPECT_EQ(value->block,
            "a:\n"
            "  \"n\": null\n"  // go-yaml v2 reads a plain n as a boolean
            "  'z:z': \"\"\n"
            "b:\n"
            "- 1\n- -2\n- 0.5\n- true\n- false\n- null\n- \"true\"\n- \"07\"\n- 'x y'\n"
            "- 'it''s'\n"
            "- j:\n  - w\n  k: v\n"
            "- - - a\n");
  const YAML::Node back = YAML::Load(value->block);
  EXPECT_EQ(back["b"][6].Scalar(), "true");
  EXPECT_EQ(back["b"][6].Tag(), "!");
  EXPECT_EQ(back["b"][9].Scalar(), "it's");
  EXPECT_EQ(back["b"][10]["j"][0].Scalar(), "w");
  EXPECT_EQ(back["a"]["z:z"].Scalar(), "");
  EXPECT_TRUE(back["a"]["n"].IsNull());
  EXPECT_EQ(back["b"][11][0][0].Scalar(), "a");
}

}  // namespace
}  // namespace meshgate::onboarding

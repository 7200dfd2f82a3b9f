#include "discovery/registry_file.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace meshgate::discovery {
namespace {

using Errors = std::vector<std::string>;

Errors errors_of(std::string_view yaml, const RegistryFileLimits& limits = {}) {
  RegistryFileResult result = parse_registry_file(yaml, limits);
  EXPECT_EQ(result.state.has_value(), result.errors.empty());
  Errors described;  // "line N: key.path: message", as the log shows them
  for (const base::Error& error : result.errors)
    described.push_back(base::describe(error));
  return described;
}

SourceState parsed(std::string_view yaml) {
  RegistryFileResult result = parse_registry_file(yaml);
  EXPECT_EQ(result.errors, base::Errors{}) << base::describe(result.errors);
  return result.state.value_or(SourceState{});
}

std::string demo_registry() {
  std::ifstream in(MESHGATE_SOURCE_DIR "/deploy/demo/registry.yaml");
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

const Labels kV1Istio = {{"security.istio.io/tlsMode", "istio"},
                         {"topology.istio.io/network", "network1"},
                         {"version", "v1"}};

TEST(RegistryFile, DemoRegistryServices) {
  SourceState state = parsed(demo_registry());
  ASSERT_EQ(state.services.size(), 2u);
  const Service& httpbin = state.services[0];
  EXPECT_EQ(httpbin.name, "httpbin");
  EXPECT_EQ(httpbin.ns, "bar");
  EXPECT_TRUE(httpbin.hostnames.empty());
  EXPECT_EQ(httpbin.ports, (std::vector<ServicePort>{{"tls", 8000, 9443}}));
  EXPECT_EQ(httpbin.subsets,
            (std::vector<Subset>{{"v1", {{"version", "v1"}}}, {"v2", {{"version", "v2"}}}}));
  Labels v2 = kV1Istio;
  v2["version"] = "v2";
  EXPECT_EQ(httpbin.endpoints, (std::vector<Endpoint>{
                                   {"127.0.0.1", {{"tls", 9443}}, kV1Istio, "network1", 1, true},
                                   {"127.0.0.1", {{"tls", 9444}}, v2, "network1", 1, true},
                                   {"127.0.0.2",
                                    {{"tls", 9446}},
                                    {{"security.istio.io/tlsMode", "istio"}, {"version", "v1"}},
                                    "network2",
                                    1,
                                    true},
                               }));
  const Service& reviews = state.services[1];
  EXPECT_EQ(reviews.name, "reviews");
  EXPECT_EQ(reviews.ns, "default");
  EXPECT_EQ(reviews.ports, (std::vector<ServicePort>{{"tls", 9080, 9445}}));
  EXPECT_TRUE(reviews.subsets.empty());
  EXPECT_EQ(reviews.endpoints,
            (std::vector<Endpoint>{{"127.0.0.1", {}, kV1Istio, "network1", 1, true}}));
  EXPECT_EQ(endpoint_port(reviews.endpoints[0], reviews.ports[0]), 9445);
}

TEST(RegistryFile, DemoRegistryAliases) {
  SourceState state = parsed(demo_registry());
  EXPECT_EQ(state.aliases,
            (std::vector<HostAlias>{{"httpbin.bar.global", {"240.240.0.1"}, "httpbin", "bar"},
                                    {"*.foo.global", {}, "", ""}}));
}

TEST(RegistryFile, EmptyDocumentsAreEmptyStates) {
  for (std::string_view yaml : {"", "# only a comment\n", "{}", "services: []", "services:\n",
                                "services: []\naliases: []\n", "---\n"}) {
    SCOPED_TRACE(yaml);
    EXPECT_EQ(parsed(yaml), SourceState{});
  }
}

TEST(RegistryFile, EveryKey) {
  SourceState state = parsed(R"(
services:
  - name: api
    namespace: ns-1
    hostnames: [api.example.internal, api2.example.internal]
    ports:
      - {name: grpc, port: 80, target_port: 0}
      - {port: 443}
    subsets:
      - {name: canary, labels: {track: canary, app: api}}
    endpoints:
      - address: "fd00::1"
        ports: {grpc: 8080}
        labels: {topology.istio.io/network: west, security.istio.io/tlsMode: istio}
        network: east
        weight: 1000
        mtls: false
      - address: 10.1.2.3
        labels: {topology.istio.io/network: west}
        mtls: true
aliases:
  - {host: api.ns-1.global, addresses: [240.0.0.1, "fd00::f"]}
)");
  ASSERT_EQ(state.services.size(), 1u);
  const Service& api = state.services[0];
  EXPECT_EQ(api.hostnames,
            (std::vector<std::string>{"api.example.internal", "api2.example.internal"}));
  EXPECT_EQ(api.ports, (std::vector<ServicePort>{{"grpc", 80, 0}, {"", 443, 0}}));
  EXPECT_EQ(api.subsets, (std::vector<Subset>{{"canary", {{"app", "api"}, {"track", "canary"}}}}));
  ASSERT_EQ(api.endpoints.size(), 2u);
  // Explicit keys win over the labels they default from.
  EXPECT_EQ(api.endpoints[0].address, "fd00::1");
  EXPECT_EQ(api.endpoints[0].ports, (std::map<std::string, uint16_t>{{"grpc", 8080}}));
  EXPECT_EQ(api.endpoints[0].network, "east");
  EXPECT_EQ(api.endpoints[0].weight, 1000u);
  EXPECT_FALSE(api.endpoints[0].mtls_capable);
  EXPECT_EQ(api.endpoints[1].network, "west");
  EXPECT_TRUE(api.endpoints[1].mtls_capable);
  EXPECT_EQ(state.aliases,
            (std::vector<HostAlias>{{"api.ns-1.global", {"240.0.0.1", "fd00::f"}, "", ""}}));
}

TEST(RegistryFile, EndpointDefaults) {
  SourceState state = parsed(R"(
services:
  - name: a
    namespace: b
    ports: [{port: 80}]
    endpoints:
      - address: 10.0.0.1
      - address: 10.0.0.2
        labels: {security.istio.io/tlsMode: disabled}
)");
  ASSERT_EQ(state.services.at(0).endpoints.size(), 2u);
  EXPECT_EQ(state.services[0].endpoints[0], (Endpoint{"10.0.0.1", {}, {}, "", 1, false}));
  EXPECT_FALSE(state.services[0].endpoints[1].mtls_capable);
  EXPECT_EQ(state.services[0].endpoints[1].network, "");
}

TEST(RegistryFile, SyntaxError) {
  Errors errors = errors_of("services:\n  - name: a\n    ports: [\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_TRUE(errors[0].starts_with("line 4: syntax error: ")) << errors[0];
}

// yaml-cpp 0.7's LoadAll() loops forever (growing) on a stray ',' where a
// document should start; found by fuzzing (tests/fuzz/corpus/registry_file).
TEST(RegistryFile, AStrayCommaIsASyntaxErrorNotAnEndlessParse) {
  Errors errors = errors_of(",)s: \x7f");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("unexpected token where a document should start"), std::string::npos)
      << errors[0];
}

TEST(RegistryFile, DocumentShape) {
  EXPECT_EQ(errors_of("- a\n"), Errors{"line 1: expected a mapping, found a list"});
  EXPECT_EQ(errors_of("services: {}\n"),
            Errors{"line 1: services: expected a list, found a mapping"});
  EXPECT_EQ(errors_of("services: []\nservics: []\n"),
            Errors{"line 2: servics: unknown key 'servics'; did you mean 'services'?"});
  EXPECT_EQ(errors_of("services: []\nservices: []\n"),
            Errors{"line 2: services: duplicate key 'services'"});
  EXPECT_EQ(errors_of("services: []\n---\naliases: []\n"),
            Errors{"line 3: the file must hold one YAML document"});
  EXPECT_EQ(errors_of("? [a]\n: b\n"), Errors{"line 1: expected a string key, found a list"});
}

TEST(RegistryFile, ServiceErrors) {
  EXPECT_EQ(
      errors_of(R"(services:
  - namespace: bar
    ports: [{port: 80}]
    colour: blue
  - name: Bad_Name
    namespace: bar
  - 42
)"),
      (Errors{"line 2: services[0].name: required",
              "line 4: services[0].colour: unknown key 'colour'; valid keys: name, namespace, "
              "hostnames, ports, subsets, endpoints",
              "line 5: services[1].name: must be a DNS-1123 label (a-z, 0-9, '-'; at most 63)",
              "line 5: services[1].ports: required",
              "line 7: services[2]: expected a mapping, found '42'"}));
}

TEST(RegistryFile, DuplicateServicesAndHostnames) {
  EXPECT_EQ(errors_of(R"(services:
  - {name: a, namespace: b, ports: [{port: 80}], hostnames: [x.example]}
  - {name: a, namespace: c, ports: [{port: 80}], hostnames: [x.example, Y.example]}
  - {name: a, namespace: b, ports: [{port: 80}]}
)"),
            (Errors{"line 3: services[1].hostnames[0]: hostname x.example is used twice",
                    "line 3: services[1].hostnames[1]: must be a lower-case DNS name",
                    "line 4: services[2]: duplicate service b/a"}));
}

TEST(RegistryFile, PortErrors) {
  EXPECT_EQ(errors_of(R"(services:
  - name: a
    namespace: b
    ports:
      - {name: tls, port: 0}
      - {name: tls, port: 65536}
      - {name: tls, port: 80, target_port: 65536}
      - {name: tls, port: 81}
      - {name: tls, port: 82}
      - {name: other, port: 81}
      - {name: Tls, port: 83}
      - {port: +84}
      - {target_port: 85}
  - {name: c, namespace: b, ports: []}
)"),
            (Errors{"line 5: services[0].ports[0].port: 0 is out of range 1..65535",
                    "line 6: services[0].ports[1].port: 65536 is out of range 1..65535",
                    "line 7: services[0].ports[2].target_port: 65536 is out of range 0..65535",
                    "line 9: services[0].ports[4]: duplicate port name tls",
                    "line 10: services[0].ports[5]: duplicate port number 81",
                    "line 11: services[0].ports[6].name: must be a DNS-1123 label (a-z, 0-9, "
                    "'-'; at most 63)",
                    "line 12: services[0].ports[7].port: expected a number from 1 to 65535",
                    "line 13: services[0].ports[8].port: required",
                    "line 14: services[1].ports: at least one port is required"}));
}

TEST(RegistryFile, NumbersAreDecimalOnly) {
  for (std::string_view port :
       {"0x50", "8e1", "80.0", "-80", "''", "[80]", "99999999999999999999"}) {
    SCOPED_TRACE(port);
    Errors errors = errors_of(
        "services: [{name: a, namespace: b, ports: [{port: " + std::string(port) + "}]}]");
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0], "line 1: services[0].ports[0].port: expected a number from 1 to 65535");
  }
}

TEST(RegistryFile, SubsetErrors) {
  EXPECT_EQ(errors_of(R"(services:
  - name: a
    namespace: b
    ports: [{port: 80}]
    subsets:
      - {name: v1, labels: {version: v1}}
      - {name: v1, labels: {version: v2}}
      - {name: v3, labels: {}}
      - {name: v4}
)"),
            (Errors{"line 7: services[0].subsets[1]: duplicate subset v1",
                    "line 8: services[0].subsets[2].labels: at least one label is required",
                    "line 9: services[0].subsets[3].labels: required"}));
}

TEST(RegistryFile, EndpointErrors) {
  EXPECT_EQ(
      errors_of(R"(services:
  - name: a
    namespace: b
    ports: [{name: tls, port: 80}, {port: 81}]
    endpoints:
      - address: localhost
      - ports: {tls: 9443}
      - {address: 10.0.0.1, ports: {http: 1, tls: 0}}
      - {address: 10.0.0.1, weight: 0, mtls: yes, network: a/b}
      - {address: 10.0.0.1, weight: 1001, zone: z}
)"),
      (Errors{"line 6: services[0].endpoints[0].address: must be an IPv4 or IPv6 address "
              "literal",
              "line 7: services[0].endpoints[1].address: required",
              "line 8: services[0].endpoints[2].ports.http: no service port has this name",
              "line 8: services[0].endpoints[2].ports.tls: 0 is out of range 1..65535",
              "line 9: services[0].endpoints[3].network: must be a Kubernetes label value",
              "line 9: services[0].endpoints[3].weight: 0 is out of range 1..1000",
              "line 9: services[0].endpoints[3].mtls: expected a boolean (true or false), found "
              "'yes'",
              "line 10: services[0].endpoints[4].zone: unknown key 'zone'; valid keys: address, "
              "ports, labels, network, weight, mtls",
              "line 10: services[0].endpoints[4].weight: 1001 is out of range 1..1000"}));
}

TEST(RegistryFile, LabelErrors) {
  const std::string long_key = std::string(254, 'a') + "/b";
  const std::string long_value = std::string(64, 'v');
  EXPECT_EQ(
      errors_of("services:\n"
                "  - name: a\n"
                "    namespace: b\n"
                "    ports: [{port: 80}]\n"
                "    endpoints:\n"
                "      - address: 10.0.0.1\n"
                "        labels:\n"
                "          " +
                long_key +
                ": x\n"
                "          ok: " +
                long_value +
                "\n"
                "          list: [a]\n"),
      (Errors{"line 8: services[0].endpoints[0].labels." + std::string(64, 'a') + "..." +
                  ": invalid label key ([DNS prefix/]name; name at most 63 characters)",
              "line 9: services[0].endpoints[0].labels.ok: invalid label value (at most 63 "
              "characters)",
              "line 10: services[0].endpoints[0].labels.list: expected a string, found a list"}));
}

TEST(RegistryFile, AliasErrors) {
  EXPECT_EQ(errors_of(R"(services:
  - {name: httpbin, namespace: bar, ports: [{port: 80}]}
aliases:
  - {host: a.global, addresses: [240.0.0.1, not-an-ip]}
  - {host: a.global}
  - {host: A.global}
  - {host: "*"}
  - {host: b.global, service: {name: httpbin, namespace: foo}}
  - {host: c.global, service: {name: httpbin}}
  - {addresses: []}
)"),
            (Errors{"line 4: aliases[0].addresses[1]: must be an IPv4 or IPv6 address literal",
                    "line 5: aliases[1]: duplicate alias host a.global",
                    "line 6: aliases[2].host: must be a lower-case DNS name or *.<DNS name>",
                    "line 7: aliases[3].host: must be a lower-case DNS name or *.<DNS name>",
                    "line 8: aliases[4].service: no service foo/httpbin in this file",
                    "line 9: aliases[5].service.namespace: required",
                    "line 10: aliases[6].host: required"}));
}

TEST(RegistryFile, AliasesMayComeBeforeServices) {
  SourceState state = parsed(R"(
aliases: [{host: h.global, service: {name: a, namespace: b}}]
services: [{name: a, namespace: b, ports: [{port: 80}]}]
)");
  ASSERT_EQ(state.aliases.size(), 1u);
  EXPECT_EQ(state.aliases[0].service_name, "a");
}

TEST(RegistryFile, HostileKeysAreShownBoundedAndOnOneLine) {
  Errors errors = errors_of("\"a\\nb\": 1\n" + std::string(1000, 'k') + ": 1\n");
  ASSERT_EQ(errors.size(), 2u);
  const std::string valid = "; valid keys: services, aliases";
  EXPECT_EQ(errors[0], "line 1: a\\x0ab: unknown key 'a\\x0ab'" + valid);
  const std::string shown = std::string(64, 'k') + "...";
  EXPECT_EQ(errors[1], "line 2: " + shown + ": unknown key '" + shown + "'" + valid);
}

TEST(RegistryFile, GarbageIsAnErrorNotACrash) {
  EXPECT_FALSE(errors_of(std::string(100'000, '[')).empty());
  EXPECT_FALSE(errors_of(std::string("\0\xff\xfe: [", 6)).empty());
  EXPECT_FALSE(errors_of("services: *undefined\n").empty());
  EXPECT_FALSE(errors_of("\t- x").empty());
}

// Limits: small ones to keep the documents small; the defaults are checked apart.

std::string services_yaml(int count, std::string_view body = "ports: [{port: 80}]") {
  std::string yaml = "services:\n";
  for (int i = 0; i < count; ++i) {
    yaml += "  - {name: s" + std::to_string(i) + ", namespace: n, " + std::string(body) + "}\n";
  }
  return yaml;
}

TEST(RegistryFileLimits, Services) {
  RegistryFileLimits limits;
  limits.max_services = 3;
  EXPECT_EQ(errors_of(services_yaml(3), limits), Errors{});
  EXPECT_EQ(errors_of(services_yaml(4), limits), Errors{"line 1: services: more than 3 items"});
}

TEST(RegistryFileLimits, EndpointsInTheWholeFile) {
  RegistryFileLimits limits;
  limits.max_endpoints = 4;
  const std::string two = "ports: [{port: 80}], endpoints: [{address: 10.0.0.1}, {address: ::1}]";
  EXPECT_EQ(errors_of(services_yaml(2, two), limits), Errors{});
  EXPECT_EQ(errors_of(services_yaml(3, two), limits),
            Errors{"line 4: services[2].endpoints: more than 4 endpoints in the file"});
}

TEST(RegistryFileLimits, PerServiceAndPerMapBounds) {
  RegistryFileLimits limits;
  limits.max_ports = 1;
  limits.max_hostnames = 1;
  limits.max_subsets = 1;
  limits.max_labels = 1;
  limits.max_addresses = 1;
  limits.max_aliases = 1;
  EXPECT_EQ(errors_of(R"(services:
  - name: a
    namespace: b
    hostnames: [a.x, b.x]
    ports: [{name: p, port: 80}, {port: 81}]
    subsets: [{name: v1, labels: {a: b}}, {name: v2, labels: {a: c, d: e}}]
    endpoints: [{address: 10.0.0.1, ports: {p: 1, q: 2}}]
aliases:
  - {host: a.global, addresses: [240.0.0.1, 240.0.0.2]}
  - {host: b.global}
)",
                      limits),
            (Errors{"line 4: services[0].hostnames: more than 1 items",
                    "line 5: services[0].ports: more than 1 items",
                    "line 6: services[0].subsets: more than 1 items",
                    "line 7: services[0].endpoints[0].ports: more than 1 entries",
                    "line 8: aliases: more than 1 items"}));
}

TEST(RegistryFileLimits, LabelsPerMapAndAddressesPerAlias) {
  RegistryFileLimits limits;
  limits.max_labels = 1;
  limits.max_addresses = 1;
  EXPECT_EQ(errors_of(R"(services:
  - {name: a, namespace: b, ports: [{port: 80}], subsets: [{name: v, labels: {a: b, c: d}}]}
aliases:
  - {host: a.global, addresses: [240.0.0.1, 240.0.0.2]}
)",
                      limits),
            (Errors{"line 2: services[0].subsets[0].labels: more than 1 entries",
                    "line 2: services[0].subsets[0].labels: at least one label is required",
                    "line 4: aliases[0].addresses: more than 1 items"}));
}

TEST(RegistryFileLimits, ValuesCountAnchorsAndAliasesExpanded) {
  // A small file whose aliases expand to many values: bounded all the same.
  std::string yaml = "services:\n  - &s {name: a, namespace: b, ports: [{port: 80}]}\n";
  for (int i = 0; i < 50; ++i)
    yaml += "  - *s\n";
  RegistryFileLimits limits;
  limits.max_values = 100;
  Errors errors = errors_of(yaml, limits);
  ASSERT_FALSE(errors.empty());
  EXPECT_TRUE(errors.back().ends_with("the file holds more than 100 values")) << errors.back();
}

TEST(RegistryFileLimits, ErrorsStopTheParse) {
  RegistryFileLimits limits;
  limits.max_errors = 2;
  Errors errors = errors_of("a: 1\nb: 2\nc: 3\nd: 4\n", limits);
  const std::string valid = "; valid keys: services, aliases";
  EXPECT_EQ(errors,
            (Errors{"line 1: a: unknown key 'a'" + valid, "line 2: b: unknown key 'b'" + valid,
                    "line 3: c: more than 2 errors, stopped"}));
}

TEST(RegistryFileLimits, Defaults) {
  RegistryFileLimits limits;
  EXPECT_EQ(limits.max_services, 10'000u);
  EXPECT_EQ(limits.max_endpoints, 100'000u);
  EXPECT_EQ(limits.max_ports, 100u);
  EXPECT_EQ(errors_of(services_yaml(10'001, "")),
            Errors{"line 1: services: more than 10000 items"});
  std::string ports = "ports: [";
  for (int i = 1; i <= 101; ++i)
    ports += "{port: " + std::to_string(i) + "},";
  ports.back() = ']';
  EXPECT_EQ(errors_of(services_yaml(1, ports)),
            Errors{"line 2: services[0].ports: more than 100 items"});
}

TEST(RegistryFileLimits, DefaultEndpointBoundHoldsAgainstAliasExpansion) {
  // 1,001 endpoints named 100 times: a few kilobytes asking for 100,100 endpoints.
  std::string yaml = "services:\n  - {name: s0, namespace: n, ports: [{port: 80}], endpoints: &e [";
  for (int i = 0; i < 1001; ++i)
    yaml += "{address: 10.0.0.1},";
  yaml.back() = ']';
  yaml += "}\n";
  for (int i = 1; i < 100; ++i) {
    yaml += "  - {name: s" + std::to_string(i) +
            ", namespace: n, ports: [{port: 80}], endpoints: *e}\n";
  }
  Errors errors = errors_of(yaml);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "line 101: services[99].endpoints: more than 100000 endpoints in the file");
}

}  // namespace
}  // namespace meshgate::discovery

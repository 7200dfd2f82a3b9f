#include "onboarding/global_entries.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "discovery/registry_file.h"
#include "dns-global/name.h"
#include "dns-global/vip_allocator.h"
#include "dns-global/zone.h"
#include "onboarding/dns_hosts.h"

namespace meshgate::onboarding {
namespace {

// Two services: httpbin.bar, whose .global name is also an alias with its own
// address, and reviews.default, which gets VIPs (v4 and v6) from the zone.
// Plus aliases that are not services' names.
constexpr const char* kRegistry = R"(
services:
  - name: reviews
    namespace: default
    ports:
      - {name: grpc-api, port: 9080}
      - {port: 9090}
  - name: httpbin
    namespace: bar
    ports:
      - {name: tls, port: 8000, target_port: 9443}
      - {name: http-web, port: 8080}
aliases:
  - host: httpbin.bar.global
    addresses: [240.240.0.1]
    service: {name: httpbin, namespace: bar}
  - host: db.global
    addresses: [10.1.2.3]
  - host: ratings.global
    service: {name: reviews, namespace: default}
  - host: "*.foo.global"
)";

discovery::Snapshot snapshot_of(const std::string& registry, uint64_t version = 7) {
  discovery::RegistryFileResult parsed = discovery::parse_registry_file(registry);
  EXPECT_TRUE(parsed.state) << base::describe(parsed.errors);
  if (!parsed.state) return discovery::Snapshot(version, {}, {});
  return discovery::Snapshot(version, std::move(parsed.state->services),
                             std::move(parsed.state->aliases));
}

GlobalEntriesOptions options_for(std::string address = "192.0.2.10") {
  GlobalEntriesOptions options;
  options.gateway_address = std::move(address);
  return options;
}

std::vector<YAML::Node> documents(const std::string& text) {
  std::vector<YAML::Node> out;
  for (const YAML::Node& node : YAML::LoadAll(text)) {
    if (!node.IsNull()) out.push_back(node);
  }
  return out;
}

std::vector<std::string> strings(const YAML::Node& sequence) {
  std::vector<std::string> out;
  for (const YAML::Node& item : sequence)
    out.push_back(item.as<std::string>());
  return out;
}

// Name -> addresses, from `meshgate dns-hosts` lines.
std::map<std::string, std::vector<std::string>> dns_hosts_answers(const config::Config& config,
                                                                  const discovery::Snapshot& s) {
  std::map<std::string, std::vector<std::string>> out;
  std::istringstream lines(dns_hosts_text(config, s));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.find(' ');
    out[line.substr(space + 1)].push_back(line.substr(0, space));
  }
  return out;
}

TEST(GlobalEntries, EachServiceIsAServiceEntryThatParsesBack) {
  const config::Config config;
  const auto docs = documents(global_entries_text(config, snapshot_of(kRegistry), options_for()));
  ASSERT_EQ(docs.size(), 2u);
  const YAML::Node& httpbin = docs[0];  // ordered by host: httpbin.bar.global first
  EXPECT_EQ(httpbin["apiVersion"].as<std::string>(), "networking.istio.io/v1beta1");
  EXPECT_EQ(httpbin["kind"].as<std::string>(), "ServiceEntry");
  EXPECT_EQ(httpbin["metadata"]["name"].as<std::string>(), "httpbin-bar-global");
  EXPECT_FALSE(httpbin["metadata"]["namespace"]);
  EXPECT_EQ(httpbin["metadata"]["labels"]["app.kubernetes.io/managed-by"].as<std::string>(),
            "meshgate");
  const YAML::Node spec = httpbin["spec"];
  EXPECT_EQ(strings(spec["hosts"]), std::vector<std::string>{"httpbin.bar.global"});
  EXPECT_EQ(spec["location"].as<std::string>(), "MESH_INTERNAL");
  EXPECT_EQ(spec["resolution"].as<std::string>(), "STATIC");
  ASSERT_EQ(spec["ports"].size(), 2u);
  EXPECT_EQ(spec["ports"][0]["number"].as<int>(), 8000);
  EXPECT_EQ(spec["ports"][0]["name"].as<std::string>(), "tls");
  EXPECT_EQ(spec["ports"][0]["protocol"].as<std::string>(), "TLS");
  EXPECT_EQ(spec["ports"][1]["number"].as<int>(), 8080);
  EXPECT_EQ(spec["ports"][1]["protocol"].as<std::string>(), "HTTP");
  ASSERT_EQ(spec["endpoints"].size(), 1u);
  const YAML::Node endpoint = spec["endpoints"][0];
  EXPECT_EQ(endpoint["address"].as<std::string>(), "192.0.2.10");
  EXPECT_EQ(endpoint["ports"].size(), 2u);
  EXPECT_EQ(endpoint["ports"]["tls"].as<int>(), 15443);
  EXPECT_EQ(endpoint["ports"]["http-web"].as<int>(), 15443);
  EXPECT_EQ(endpoint["labels"]["security.istio.io/tlsMode"].as<std::string>(), "istio");
  EXPECT_FALSE(endpoint["network"]);

  const YAML::Node reviews = docs[1]["spec"];
  EXPECT_EQ(docs[1]["metadata"]["name"].as<std::string>(), "reviews-default-global");
  EXPECT_EQ(strings(reviews["hosts"]), std::vector<std::string>{"reviews.default.global"});
  EXPECT_EQ(reviews["ports"][0]["protocol"].as<std::string>(), "GRPC");
  // An unnamed port gets a name, since ServiceEntry ports need one.
  EXPECT_EQ(reviews["ports"][1]["name"].as<std::string>(), "port-9090");
  EXPECT_EQ(reviews["ports"][1]["protocol"].as<std::string>(), "TCP");
  EXPECT_EQ(reviews["endpoints"][0]["ports"]["port-9090"].as<int>(), 15443);
}

TEST(GlobalEntries, AddressesAreWhatTheDnsAnswersIncludingIpv6) {
  const config::Config config;
  const discovery::Snapshot snapshot = snapshot_of(kRegistry);
  const auto answers = dns_hosts_answers(config, snapshot);
  const auto docs = documents(global_entries_text(config, snapshot, options_for()));
  ASSERT_EQ(docs.size(), 2u);
  std::vector<base::Cidr> ranges;
  for (const auto& text : config.dns.vip_ranges)
    ranges.push_back(*base::parse_cidr(text));
  const auto zone = dns::ZoneIndex::build(config.dns, snapshot, dns::VipAllocator(ranges));
  for (const YAML::Node& doc : docs) {
    const std::string host = doc["spec"]["hosts"][0].as<std::string>();
    const std::vector<std::string> addresses = strings(doc["spec"]["addresses"]);
    EXPECT_EQ(addresses, answers.at(host)) << host;
    const dns::Lookup lookup = zone->find(*dns::Name::parse(host));
    ASSERT_EQ(lookup.kind, dns::LookupKind::kFound);
    EXPECT_EQ(addresses.size(), lookup.node->a.size() + lookup.node->aaaa.size());
  }
  EXPECT_EQ(strings(docs[0]["spec"]["addresses"]), std::vector<std::string>{"240.240.0.1"});
  const auto reviews = strings(docs[1]["spec"]["addresses"]);
  ASSERT_EQ(reviews.size(), 2u);
  EXPECT_TRUE(reviews[0].starts_with("240.240.")) << reviews[0];
  EXPECT_TRUE(reviews[1].starts_with("2001:2:")) << reviews[1];
}

TEST(GlobalEntries, HostsFormatIsTheDnsHostsLinesOfTheEntries) {
  const config::Config config;
  const discovery::Snapshot snapshot = snapshot_of(kRegistry);
  GlobalEntriesOptions options = options_for();
  options.format = GlobalEntriesFormat::kHosts;
  const std::string text = global_entries_text(config, snapshot, options);
  std::string expected_lines;
  std::istringstream dns_hosts(dns_hosts_text(config, snapshot));
  for (std::string line; std::getline(dns_hosts, line);) {
    if (line.ends_with(" httpbin.bar.global") || line.ends_with(" reviews.default.global")) {
      expected_lines += line + "\n";
    }
  }
  std::string lines;
  std::istringstream ours(text);
  for (std::string line; std::getline(ours, line);) {
    if (!line.starts_with("#")) lines += line + "\n";
  }
  EXPECT_EQ(lines, expected_lines);
  EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 3);  // httpbin v4, reviews v4 and v6
  EXPECT_TRUE(
      text.starts_with("# meshgate global-entries: registry snapshot 7, gateway "
                       "192.0.2.10:15443\n"))
      << text;
}

TEST(GlobalEntries, AliasesThatAreNotServicesAreSkippedWithAComment) {
  const config::Config config;
  const std::string text = global_entries_text(config, snapshot_of(kRegistry), options_for());
  EXPECT_NE(text.find("\n# db.global: a registry alias, not a service's own .global name"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\n# ratings.global: a registry alias, not a service's own .global name: "
                      "no ports, skipped; use reviews.default.global\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\n# *.foo.global: "), std::string::npos);
  EXPECT_EQ(text.find("db.global\"\n"), std::string::npos);  // in no document
  EXPECT_EQ(documents(text).size(), 2u);                     // the comments are not documents
}

TEST(GlobalEntries, GatewayPortNamespaceAndNetworkAreWritten) {
  const config::Config config;
  GlobalEntriesOptions options = options_for();
  options.gateway_port = 16443;
  options.ns = "foo";
  options.network = "network1";
  for (const YAML::Node& doc :
       documents(global_entries_text(config, snapshot_of(kRegistry), options))) {
    EXPECT_EQ(doc["metadata"]["namespace"].as<std::string>(), "foo");
    const YAML::Node endpoint = doc["spec"]["endpoints"][0];
    EXPECT_EQ(endpoint["network"].as<std::string>(), "network1");
    for (const auto& port : endpoint["ports"])
      EXPECT_EQ(port.second.as<int>(), 16443);
  }
}

TEST(GlobalEntries, AGatewayNameResolvesByDnsAndIpv6IsStatic) {
  const config::Config config;
  const discovery::Snapshot snapshot = snapshot_of(kRegistry);
  auto docs = documents(global_entries_text(config, snapshot, options_for("gw.example.com")));
  ASSERT_FALSE(docs.empty());
  EXPECT_EQ(docs[0]["spec"]["resolution"].as<std::string>(), "DNS");
  EXPECT_EQ(docs[0]["spec"]["endpoints"][0]["address"].as<std::string>(), "gw.example.com");
  const std::string text = global_entries_text(config, snapshot, options_for("2001:db8::"));
  EXPECT_NE(text.find("gateway [2001:db8::]:15443"), std::string::npos);
  docs = documents(text);
  ASSERT_FALSE(docs.empty());
  EXPECT_EQ(docs[0]["spec"]["resolution"].as<std::string>(), "STATIC");
  // Quoted, so the trailing "::" does not make a mapping.
  EXPECT_EQ(docs[0]["spec"]["endpoints"][0]["address"].as<std::string>(), "2001:db8::");
}

TEST(GlobalEntries, OrderDoesNotDependOnTheRegistryOrder) {
  const config::Config config;
  const discovery::Snapshot a = snapshot_of(kRegistry);
  std::vector<discovery::Service> services(a.services().rbegin(), a.services().rend());
  std::vector<discovery::HostAlias> aliases(a.aliases().rbegin(), a.aliases().rend());
  const discovery::Snapshot b(7, std::move(services), std::move(aliases));
  EXPECT_EQ(global_entries_text(config, a, options_for()),
            global_entries_text(config, b, options_for()));
}

TEST(GlobalEntries, CollidingObjectNamesAreMadeUnique) {
  const config::Config config;
  const std::string registry = R"(
services:
  - {name: a-b, namespace: c, ports: [{name: tcp, port: 1}]}
  - {name: a, namespace: b-c, ports: [{name: tcp, port: 1}]}
)";
  const auto docs = documents(global_entries_text(config, snapshot_of(registry), options_for()));
  ASSERT_EQ(docs.size(), 2u);
  const std::string first = docs[0]["metadata"]["name"].as<std::string>();
  const std::string second = docs[1]["metadata"]["name"].as<std::string>();
  EXPECT_EQ(first, "a-b-c-global");
  EXPECT_NE(second, first);
  EXPECT_TRUE(second.starts_with("a-b-c-global-")) << second;
}

TEST(GlobalEntries, ValuesYaml11ReadsAsOtherTypesAreQuoted) {
  const config::Config config;
  const std::string registry = R"(
services:
  - {name: on, namespace: yes, ports: [{name: "on", port: 1}, {name: "8080", port: 2}]}
)";
  const std::string text = global_entries_text(config, snapshot_of(registry), options_for());
  EXPECT_NE(text.find("  name: on-yes-global\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  - on.yes.global\n"), std::string::npos) << text;
  EXPECT_NE(text.find("    name: \"on\"\n"), std::string::npos) << text;
  EXPECT_NE(text.find("      \"on\": 15443\n"), std::string::npos) << text;
  EXPECT_NE(text.find("      \"8080\": 15443\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  - address: 192.0.2.10\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  - \"2001:2:"), std::string::npos) << text;
  const auto docs = documents(text);
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0]["spec"]["endpoints"][0]["ports"]["8080"].as<int>(), 15443);
}

TEST(GlobalEntries, WithoutAServicesZoneThereAreNoEntries) {
  config::Config config;
  config.dns.zones.front().services = false;
  const std::string text = global_entries_text(config, snapshot_of(kRegistry), options_for());
  // httpbin.bar.global is still an alias with an address, so it keeps its entry.
  const auto docs = documents(text);
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0]["spec"]["hosts"][0].as<std::string>(), "httpbin.bar.global");
  EXPECT_NE(text.find("# reviews.default.global: the DNS answers no address of its own"),
            std::string::npos)
      << text;
}

TEST(GlobalEntries, ProtocolsFollowIstiosPortNamePrefixes) {
  EXPECT_EQ(protocol_for_port_name("http"), "HTTP");
  EXPECT_EQ(protocol_for_port_name("http-v1"), "HTTP");
  EXPECT_EQ(protocol_for_port_name("HTTP2"), "HTTP2");
  EXPECT_EQ(protocol_for_port_name("https-admin"), "HTTPS");
  EXPECT_EQ(protocol_for_port_name("grpc"), "GRPC");
  EXPECT_EQ(protocol_for_port_name("grpc-web"), "GRPC-WEB");
  EXPECT_EQ(protocol_for_port_name("grpc-web-ui"), "GRPC-WEB");
  EXPECT_EQ(protocol_for_port_name("tls"), "TLS");
  EXPECT_EQ(protocol_for_port_name("tcp-db"), "TCP");
  EXPECT_EQ(protocol_for_port_name("mongo"), "MONGO");
  EXPECT_EQ(protocol_for_port_name("redis-cache"), "REDIS");
  EXPECT_EQ(protocol_for_port_name("mysql"), "MYSQL");
  EXPECT_EQ(protocol_for_port_name("httpx"), "TCP");
  EXPECT_EQ(protocol_for_port_name("web"), "TCP");
  EXPECT_EQ(protocol_for_port_name(""), "TCP");
}

// A config and registry in a fresh directory, removed afterwards.
class GlobalEntriesFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("meshgate-global-entries-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    write("config.yaml", "discovery:\n  files:\n    - path: registry.yaml\n");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  int run(std::string* out, std::string* err) {
    GlobalEntriesOptions options = options_for();
    options.config_file = (dir_ / "config.yaml").string();
    std::ostringstream out_stream;
    std::ostringstream err_stream;
    const int code = print_global_entries(options, out_stream, err_stream);
    *out = out_stream.str();
    *err = err_stream.str();
    return code;
  }
  std::filesystem::path dir_;
};

TEST_F(GlobalEntriesFiles, PrintsTheEntriesOfTheConfiguredRegistry) {
  write("registry.yaml", kRegistry);
  std::string out;
  std::string err;
  EXPECT_EQ(run(&out, &err), 0) << err;
  EXPECT_EQ(err, "");
  EXPECT_EQ(documents(out).size(), 2u);
  EXPECT_TRUE(out.starts_with("# meshgate global-entries: registry snapshot ")) << out;
}

TEST_F(GlobalEntriesFiles, ABrokenRegistryFailsWithItsError) {
  write("registry.yaml", "services: [{name: Bad}]\n");
  std::string out;
  std::string err;
  EXPECT_EQ(run(&out, &err), 1);
  EXPECT_EQ(out, "");
  EXPECT_NE(err.find("registry.yaml"), std::string::npos) << err;
}

TEST(GlobalEntriesPrint, TheEmbeddedDefaultServesTheDemoRegistry) {
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(print_global_entries(options_for(), out, err), 0) << err.str();
  const auto docs = documents(out.str());
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0]["metadata"]["name"].as<std::string>(), "httpbin-bar-global");
  EXPECT_EQ(docs[1]["metadata"]["name"].as<std::string>(), "reviews-default-global");
}

TEST(GlobalEntriesPrint, AMissingConfigFails) {
  GlobalEntriesOptions options = options_for();
  options.config_file = "/nonexistent/meshgate.yaml";
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(print_global_entries(options, out, err), 1);
  EXPECT_EQ(out.str(), "");
  EXPECT_NE(err.str().find("/nonexistent/meshgate.yaml"), std::string::npos) << err.str();
}

}  // namespace
}  // namespace meshgate::onboarding

#include "onboarding/vm_files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace meshgate::onboarding {
namespace {

constexpr const char* kCert =
    "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2Vy\n-----END CERTIFICATE-----\n";

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

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines)
    out += line + "\n";
  return out;
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

// cluster.env's KEY='value' lines as a map.
std::map<std::string, std::string> env_map(const std::string& env) {
  std::map<std::string, std::string> out;
  std::istringstream lines(env);
  for (std::string line; std::getline(lines, line);) {
    const size_t eq = line.find("='");
    EXPECT_TRUE(eq != std::string::npos && line.back() == '\'') << line;
    out[line.substr(0, eq)] = line.substr(eq + 2, line.size() - eq - 3);
  }
  return out;
}

TEST(VmFiles, MeshYamlAgreesWithClusterEnv) {
  const VmFilesResult result = make_vm_files(ratings(), settings());
  ASSERT_TRUE(result.ok());
  const YAML::Node mesh = YAML::Load(content(result, "mesh.yaml"));
  const YAML::Node config = mesh["defaultConfig"];
  EXPECT_EQ(config["discoveryAddress"].Scalar(), "istiod.istio-system.svc:15012");
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

TEST(VmFiles, MeshIdDefaultsToTheTrustDomain) {
  VmSettings s = settings();
  s.mesh_id = "";
  s.trust_domain = "example.org";
  const auto env = env_map(content(make_vm_files(ratings(), s), "cluster.env"));
  EXPECT_EQ(env.at("ISTIO_META_MESH_ID"), "example.org");
  EXPECT_EQ(env.at("TRUST_DOMAIN"), "example.org");
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
                                         "istiod-canary.istio-system.svc"};
  const auto options = parse_vm_files_args(args, error);
  ASSERT_TRUE(options) << error;
  EXPECT_EQ(options->workload_group_file, "wg.yaml");
  EXPECT_EQ(options->root_cert_file, "root.pem");
  EXPECT_EQ(options->token_file, "token");
  EXPECT_EQ(options->out_dir, "out");
  EXPECT_EQ(options->settings.gateway_address, "2001:db8::1");
  EXPECT_EQ(options->settings.dns_port, 5353u);
  EXPECT_EQ(options->settings.network, "net2");
  EXPECT_TRUE(options->settings.autoregister);
  EXPECT_EQ(options->settings.mesh_id, "m");
  EXPECT_EQ(options->settings.cluster_id, "c");
  EXPECT_EQ(options->settings.trust_domain, "td");
  EXPECT_EQ(options->settings.istiod_host, "istiod-canary.istio-system.svc");
}

TEST(VmFilesCli, UsageErrors) {
  std::string error;
  std::vector<const char*> args = {"--workload-group", "wg.yaml", "--gateway-address", "1.2.3.4",
                                   "--root-cert",      "r.pem",   "--token",           "t"};
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
}

// Every required flag but the token's.
std::vector<const char*> args_without_token() {
  return {"--workload-group",
          "wg.yaml",
          "--gateway-address",
          "1.2.3.4",
          "--root-cert",
          "r.pem",
          "--out",
          "o"};
}

TEST(VmFilesCli, TokenRequestInsteadOfATokenFile) {
  std::string error;
  std::vector<const char*> args = args_without_token();
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
  std::vector<const char*> args = args_without_token();
  EXPECT_FALSE(parse_vm_files_args(args, error));
  EXPECT_EQ(error, "vm-files: give exactly one of --token FILE and --token-request");
  args.insert(args.end(), {"--token", "t", "--kubeconfig", "kc"});
  EXPECT_FALSE(parse_vm_files_args(args, error));
  EXPECT_EQ(error, "vm-files: --kubeconfig goes with --token-request");
}

// A directory under /tmp, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = "/tmp/vmfiles-test-XXXXXX";
    path_ = ::mkdtemp(pattern.data()) ? pattern : "";
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ + "/" + name) << text;
    return path_ + "/" + name;
  }

 private:
  std::string path_;
};

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
  options.token_file = dir.write("token", settings().token);
  options.out_dir = dir.path() + "/out/vm";
  options.settings = settings();
  options.settings.root_cert_pem.clear();
  options.settings.token.clear();
  return options;
}

unsigned mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
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
  EXPECT_EQ(read_text(out_dir + "/cluster.env"), kClusterEnv);
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
  EXPECT_NE(err.str().find(dir.path() + "/bad.yaml: kind: expected WorkloadGroup"),
            std::string::npos);

  options = cli_options(dir);
  options.token_file = dir.path() + "/missing";
  err.str("");
  EXPECT_EQ(run_vm_files(options, out, err), 1);
  EXPECT_NE(err.str().find("/missing: cannot open"), std::string::npos);
  EXPECT_EQ(out.str(), "");
}

}  // namespace
}  // namespace meshgate::onboarding

#include "discovery/kubernetes/kubeconfig.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/app_harness.h"

namespace meshgate::discovery::kube {
namespace {

using meshgate::testing::TempDir;

std::string base64(const std::string& in) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                 (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6)
      out.push_back(kAlphabet[(v >> shift) & 63]);
  }
  size_t rest = in.size() - i;
  if (rest == 0) return out;
  unsigned v = static_cast<unsigned>(static_cast<unsigned char>(in[i])) << 16;
  if (rest == 2) v |= static_cast<unsigned>(static_cast<unsigned char>(in[i + 1])) << 8;
  out.push_back(kAlphabet[(v >> 18) & 63]);
  out.push_back(kAlphabet[(v >> 12) & 63]);
  out.push_back(rest == 2 ? kAlphabet[(v >> 6) & 63] : '=');
  out.push_back('=');
  return out;
}

const std::string kCaPem = "-----BEGIN CERTIFICATE-----\nMIIBca\n-----END CERTIFICATE-----\n";
const std::string kCertPem = "-----BEGIN CERTIFICATE-----\nMIIBcert1\n-----END CERTIFICATE-----\n";
const std::string kKeyPem = "-----BEGIN PRIVATE KEY-----\nMIIEkey12\n-----END PRIVATE KEY-----\n";

// Two clusters and users, the way kind writes them (plus a token user).
std::string kind_config(const std::string& current) {
  return "apiVersion: v1\n"
         "kind: Config\n"
         "preferences: {}\n"
         "current-context: " +
         current +
         "\n"
         "clusters:\n"
         "- cluster:\n"
         "    certificate-authority-data: " +
         base64(kCaPem) +
         "\n"
         "    server: https://127.0.0.1:39821\n"
         "  name: kind-kind\n"
         "- cluster:\n"
         "    server: https://10.1.2.3:6443\n"
         "    insecure-skip-tls-verify: true\n"
         "    tls-server-name: api.other.example\n"
         "  name: other\n"
         "contexts:\n"
         "- context:\n"
         "    cluster: kind-kind\n"
         "    user: kind-kind\n"
         "  name: kind-kind\n"
         "- context:\n"
         "    cluster: other\n"
         "    user: robot\n"
         "    namespace: istio-system\n"
         "  name: other\n"
         "users:\n"
         "- name: kind-kind\n"
         "  user:\n"
         "    client-certificate-data: " +
         base64(kCertPem) +
         "\n"
         "    client-key-data: " +
         base64(kKeyPem) +
         "\n"
         "- name: robot\n"
         "  user:\n"
         "    token: abc.def.ghi\n";
}

// One cluster and one user, with the given (indented) bodies.
std::string single(const std::string& cluster, const std::string& user) {
  return "current-context: c\n"
         "contexts:\n"
         "- name: c\n"
         "  context: {cluster: k, user: u}\n"
         "clusters:\n"
         "- name: k\n"
         "  cluster:\n" +
         cluster + "users:\n- name: u\n  user:\n" + user;
}

const std::string kServer = "    server: https://k.example:6443\n";

TEST(KubeconfigTest, Base64HelperMatchesKnownVectors) {
  EXPECT_EQ(base64("f"), "Zg==");
  EXPECT_EQ(base64("fo"), "Zm8=");
  EXPECT_EQ(base64("foo"), "Zm9v");
}

TEST(KubeconfigTest, KindConfigWithDataFields) {
  AccessResult r = parse_kubeconfig(kind_config("kind-kind"), "/nowhere/config");
  ASSERT_TRUE(r.access.has_value()) << r.error;
  EXPECT_EQ(r.access->server, "https://127.0.0.1:39821");
  EXPECT_EQ(r.access->ca_pem, kCaPem);
  EXPECT_EQ(r.access->client_cert_pem, kCertPem);
  EXPECT_EQ(r.access->client_key_pem, kKeyPem);
  EXPECT_FALSE(r.access->insecure);
  EXPECT_TRUE(r.access->token.empty());
  EXPECT_TRUE(r.access->token_file.empty());
}

TEST(KubeconfigTest, PaddingLengthsDecodeExactly) {
  for (std::string pem : {"A", "AB", "ABC", "ABCD"}) {
    std::string text =
        single("    certificate-authority-data: " + base64(pem) + "\n" + kServer, "    token: t\n");
    AccessResult r = parse_kubeconfig(text, "cfg");
    ASSERT_TRUE(r.access.has_value()) << r.error;
    EXPECT_EQ(r.access->ca_pem, pem);
  }
}

TEST(KubeconfigTest, SwitchingContextPicksOtherClusterAndUser) {
  AccessResult r = parse_kubeconfig(kind_config("other"), "/nowhere/config");
  ASSERT_TRUE(r.access.has_value()) << r.error;
  EXPECT_EQ(r.access->server, "https://10.1.2.3:6443");
  EXPECT_TRUE(r.access->insecure);
  EXPECT_EQ(r.access->tls_server_name, "api.other.example");
  EXPECT_TRUE(r.access->ca_pem.empty());
  EXPECT_EQ(r.access->token, "abc.def.ghi");
  EXPECT_TRUE(r.access->client_cert_pem.empty());
}

TEST(KubeconfigTest, MinikubeStyleRelativeFiles) {
  TempDir dir;
  dir.write("ca.crt", kCaPem);
  dir.write("client.crt", kCertPem);
  dir.write("client.key", kKeyPem);
  std::string path = dir.write(
      "config", single("    certificate-authority: ca.crt\n" + kServer,
                       "    client-certificate: client.crt\n    client-key: " + dir.path() +
                           "/client.key\n"));
  AccessResult r = load_kubeconfig(path);
  ASSERT_TRUE(r.access.has_value()) << r.error;
  EXPECT_EQ(r.access->ca_pem, kCaPem);
  EXPECT_EQ(r.access->client_cert_pem, kCertPem);
  EXPECT_EQ(r.access->client_key_pem, kKeyPem);
}

TEST(KubeconfigTest, TokenFileResolvedAndInlineTokenKept) {
  TempDir dir;
  dir.write("token", "secret-token\n");
  std::string path =
      dir.write("config", single(kServer, "    token: inline\n    tokenFile: token\n"));
  AccessResult r = load_kubeconfig(path);
  ASSERT_TRUE(r.access.has_value()) << r.error;
  EXPECT_EQ(r.access->token, "inline");
  EXPECT_EQ(r.access->token_file, dir.path() + "/token");
}

TEST(KubeconfigTest, AnonymousUserIsAllowed) {
  AccessResult r = parse_kubeconfig(single(kServer, "    {}\n"), "cfg");
  ASSERT_TRUE(r.access.has_value()) << r.error;
  EXPECT_TRUE(r.access->token.empty());
  EXPECT_TRUE(r.access->client_cert_pem.empty());
  EXPECT_EQ(r.access->server, "https://k.example:6443");
}

// The error for `text` (which must fail), checked to name the file.
std::string error_of(const std::string& text) {
  AccessResult r = parse_kubeconfig(text, "/home/me/.kube/config");
  EXPECT_FALSE(r.access.has_value());
  EXPECT_EQ(r.error.rfind("/home/me/.kube/config: ", 0), 0u) << r.error;
  return r.error;
}

TEST(KubeconfigTest, MissingCurrentContext) {
  std::string text = kind_config("x");
  text.replace(text.find("current-context: x\n"), 19, "");
  EXPECT_NE(error_of(text).find("no current-context"), std::string::npos);
}

TEST(KubeconfigTest, UnknownContext) {
  EXPECT_NE(error_of(kind_config("staging")).find("context \"staging\" not found"),
            std::string::npos);
}

TEST(KubeconfigTest, MissingClusterAndUser) {
  std::string text = kind_config("kind-kind");
  text.replace(text.find("  name: kind-kind\n- cluster:"), 17, "  name: renamed");
  EXPECT_NE(error_of(text).find("cluster \"kind-kind\" not found"), std::string::npos);
  std::string users = single(kServer, "    token: t\n");
  users.replace(users.find("- name: u\n"), 10, "- name: v\n");
  EXPECT_NE(error_of(users).find("user \"u\" not found"), std::string::npos);
}

TEST(KubeconfigTest, ServerMissingOrNotHttps) {
  EXPECT_NE(error_of(single("    insecure-skip-tls-verify: true\n", "    token: t\n"))
                .find("server missing"),
            std::string::npos);
  std::string e = error_of(single("    server: http://k.example:8080\n", "    token: t\n"));
  EXPECT_NE(e.find("is not https://"), std::string::npos) << e;
}

TEST(KubeconfigTest, UnreadableCaFile) {
  TempDir dir;
  std::string path = dir.write(
      "config", single("    certificate-authority: missing-ca.crt\n" + kServer, "    token: t\n"));
  AccessResult r = load_kubeconfig(path);
  EXPECT_FALSE(r.access.has_value());
  EXPECT_NE(r.error.find(dir.path() + "/missing-ca.crt"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("certificate-authority"), std::string::npos) << r.error;
}

TEST(KubeconfigTest, MissingKubeconfigFile) {
  TempDir dir;
  AccessResult r = load_kubeconfig(dir.path() + "/absent");
  EXPECT_FALSE(r.access.has_value());
  EXPECT_NE(r.error.find("absent: cannot open"), std::string::npos) << r.error;
}

TEST(KubeconfigTest, BadBase64) {
  for (std::string bad : {"!!!notbase64!!!", "abc", "ab=c"}) {
    std::string e = error_of(
        single("    certificate-authority-data: \"" + bad + "\"\n" + kServer, "    token: t\n"));
    EXPECT_NE(e.find("clusters[0].cluster.certificate-authority-data: invalid base64"),
              std::string::npos)
        << e;
  }
}

TEST(KubeconfigTest, ExecAndAuthProviderRefused) {
  std::string exec =
      "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
      "      command: aws\n";
  EXPECT_NE(error_of(single(kServer, exec))
                .find("user u: exec and auth-provider credentials are not supported; use a "
                      "token or a client certificate"),
            std::string::npos);
  std::string provider = "    auth-provider:\n      name: gcp\n";
  EXPECT_NE(error_of(single(kServer, provider)).find("not supported"), std::string::npos);
}

TEST(KubeconfigTest, CertificateWithoutKeyAndKeyWithoutCertificate) {
  std::string cert = "    client-certificate-data: " + base64(kCertPem) + "\n";
  std::string key = "    client-key-data: " + base64(kKeyPem) + "\n";
  EXPECT_NE(error_of(single(kServer, cert)).find("user u: "), std::string::npos);
  EXPECT_NE(error_of(single(kServer, key)).find("client-key"), std::string::npos);
}

TEST(KubeconfigTest, MalformedYaml) {
  error_of("current-context: [unclosed\n");
  error_of("clusters:\n  - name: a\n   bad-indent: b\n");
  EXPECT_NE(error_of("").find("expected a map"), std::string::npos);
  EXPECT_NE(error_of("- a\n- b\n").find("expected a map"), std::string::npos);
}

TEST(KubeconfigTest, WrongTypesNameTheKeyPath) {
  std::string server_map = single("    server: {a: b}\n", "    token: t\n");
  EXPECT_NE(error_of(server_map).find("clusters[0].cluster.server: expected a string"),
            std::string::npos);
  EXPECT_NE(
      error_of(single("    - x\n", "    token: t\n")).find("clusters[0].cluster: expected a map"),
      std::string::npos);
  std::string insecure =
      single(kServer + "    insecure-skip-tls-verify: maybe\n", "    token: t\n");
  EXPECT_NE(error_of(insecure).find("insecure-skip-tls-verify: expected true or false"),
            std::string::npos);
  std::string token = single(kServer, "    token: [a, b]\n");
  EXPECT_NE(error_of(token).find("users[0].user.token: expected a string"), std::string::npos);
  EXPECT_NE(error_of("current-context: c\ncontexts: nope\n").find("contexts: expected a list"),
            std::string::npos);
  EXPECT_NE(error_of("current-context: {a: 1}\n").find("current-context: expected a string"),
            std::string::npos);
}

TEST(InClusterTest, Ipv4AndIpv6Hosts) {
  TempDir dir;
  dir.write("ca.crt", kCaPem);
  dir.write("token", "sa-token");
  AccessResult v4 = in_cluster_access("10.96.0.1", "443", dir.path());
  ASSERT_TRUE(v4.access.has_value()) << v4.error;
  EXPECT_EQ(v4.access->server, "https://10.96.0.1:443");
  EXPECT_EQ(v4.access->ca_pem, kCaPem);
  EXPECT_EQ(v4.access->token_file, dir.path() + "/token");
  EXPECT_TRUE(v4.access->token.empty());
  EXPECT_FALSE(v4.access->insecure);
  AccessResult v6 = in_cluster_access("fd00:10:96::1", "443", dir.path());
  ASSERT_TRUE(v6.access.has_value()) << v6.error;
  EXPECT_EQ(v6.access->server, "https://[fd00:10:96::1]:443");
}

TEST(InClusterTest, NotInAPod) {
  TempDir dir;
  AccessResult r = in_cluster_access("", "443", dir.path());
  EXPECT_FALSE(r.access.has_value());
  EXPECT_EQ(r.error, "not running in a pod (KUBERNETES_SERVICE_HOST/PORT unset)");
  EXPECT_FALSE(in_cluster_access("10.96.0.1", "", dir.path()).access.has_value());
  EXPECT_FALSE(in_cluster_access("10.96.0.1", "https", dir.path()).access.has_value());
  EXPECT_FALSE(in_cluster_access("10.96.0.1", "70000", dir.path()).access.has_value());
}

TEST(InClusterTest, MissingCaOrToken) {
  TempDir no_ca;
  no_ca.write("token", "t");
  AccessResult r = in_cluster_access("10.96.0.1", "443", no_ca.path());
  EXPECT_FALSE(r.access.has_value());
  EXPECT_NE(r.error.find(no_ca.path() + "/ca.crt"), std::string::npos) << r.error;
  TempDir no_token;
  no_token.write("ca.crt", kCaPem);
  r = in_cluster_access("10.96.0.1", "443", no_token.path());
  EXPECT_FALSE(r.access.has_value());
  EXPECT_NE(r.error.find(no_token.path() + "/token"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace meshgate::discovery::kube

#include "net/http/tls_dial.h"

#include <gtest/gtest.h>

namespace meshgate::net::http {
namespace {

ServerUrl parse_ok(std::string_view text) {
  std::string error;
  std::optional<ServerUrl> url = parse_server_url(text, &error);
  EXPECT_TRUE(url.has_value()) << text << ": " << error;
  return url.value_or(ServerUrl{});
}

std::string parse_error(std::string_view text) {
  std::string error;
  EXPECT_FALSE(parse_server_url(text, &error).has_value()) << text;
  return error;
}

TEST(ServerUrl, NameWithAndWithoutPort) {
  ServerUrl url = parse_ok("https://kubernetes.default.svc");
  EXPECT_EQ(url.host, "kubernetes.default.svc");
  EXPECT_EQ(url.port, 443);
  EXPECT_FALSE(url.host_is_ip);
  EXPECT_EQ(url.base_path, "");
  url = parse_ok("https://api.example.com:6443/");
  EXPECT_EQ(url.port, 6443);
  EXPECT_EQ(url.base_path, "");
}

TEST(ServerUrl, IpLiterals) {
  ServerUrl v4 = parse_ok("https://10.96.0.1:443");
  EXPECT_EQ(v4.host, "10.96.0.1");
  EXPECT_TRUE(v4.host_is_ip);
  ServerUrl v6 = parse_ok("https://[fd00:10:96::1]:6443");
  EXPECT_EQ(v6.host, "fd00:10:96::1");
  EXPECT_EQ(v6.port, 6443);
  EXPECT_TRUE(v6.host_is_ip);
  EXPECT_EQ(parse_ok("https://[::1]").port, 443);
}

TEST(ServerUrl, BasePathIsKeptWithoutTrailingSlash) {
  EXPECT_EQ(parse_ok("https://rancher.example.com/k8s/clusters/c-m-1/").base_path,
            "/k8s/clusters/c-m-1");
}

TEST(ServerUrl, RefusesWhatIsNotHttps) {
  EXPECT_NE(parse_error("http://10.0.0.1:8080").find("only https://"), std::string::npos);
  EXPECT_NE(parse_error("10.0.0.1:6443").find("only https://"), std::string::npos);
}

TEST(ServerUrl, RefusesBadHostsAndPorts) {
  for (const char* bad :
       {"https://", "https://:443", "https://host:", "https://host:0", "https://host:65536",
        "https://host:64x", "https://[::1", "https://[::1]x", "https://host/path?watch=1"}) {
    EXPECT_FALSE(parse_error(bad).empty()) << bad;
  }
}

TEST(TlsContext, RefusesACaThatDoesNotLoad) {
  TlsCredentials credentials;
  credentials.ca_pem = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n";
  std::string error;
  EXPECT_EQ(make_tls_context(credentials, &error), nullptr);
  EXPECT_NE(error.find("CA"), std::string::npos) << error;
}

TEST(TlsContext, RefusesAKeyThatDoesNotLoad) {
  TlsCredentials credentials;
  credentials.client_cert_pem = "garbage";
  credentials.client_key_pem = "garbage";
  std::string error;
  EXPECT_EQ(make_tls_context(credentials, &error), nullptr);
  EXPECT_NE(error.find("client certificate"), std::string::npos) << error;
}

}  // namespace
}  // namespace meshgate::net::http

// The stand-in Kubernetes API server checked with a real client: curl over
// HTTP/2 and HTTP/1.1 (and, for the chunked framing, a raw TLS client). What
// curl sees is what meshgate's discovery client will see.
#include "tests/support/kube_apiserver.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "deploy/demo/pki.h"
#include "tests/support/harness.h"
#include "tests/support/tls_client.h"

extern char** environ;

namespace meshgate::testing {
namespace {

using nlohmann::json;

constexpr char kPods[] = "/api/v1/pods";
constexpr char kHost[] = "kubernetes.default.svc";

std::string pod(const std::string& ns, const std::string& name, const std::string& ip = "") {
  json object = {{"metadata", {{"name", name}, {"namespace", ns}}}};
  if (!ip.empty()) object["status"] = {{"podIP", ip}};
  return object.dump();
}

// curl as a child process with its stdout on a pipe, read line by line.
class Curl {
 public:
  explicit Curl(std::vector<std::string> args) {
    int fds[2];
    if (pipe(fds) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    args.insert(args.begin(), "curl");
    std::vector<char*> argv;
    for (std::string& arg : args)
      argv.push_back(arg.data());
    argv.push_back(nullptr);
    if (posix_spawnp(&pid_, "curl", &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    out_ = fdopen(fds[0], "r");
  }
  ~Curl() {
    kill();
    if (out_ != nullptr) fclose(out_);
  }
  Curl(const Curl&) = delete;
  Curl& operator=(const Curl&) = delete;

  // The next line of output without its newline; nullopt at the end.
  std::optional<std::string> line() {
    char* data = nullptr;
    size_t capacity = 0;
    const ssize_t n = out_ == nullptr ? -1 : getline(&data, &capacity, out_);
    std::optional<std::string> result;
    if (n >= 0) result = std::string(data, static_cast<size_t>(n));
    free(data);
    if (result && result->ends_with('\n')) result->pop_back();
    return result;
  }
  std::vector<std::string> rest() {
    std::vector<std::string> lines;
    while (std::optional<std::string> next = line()) {
      if (!next->empty()) lines.push_back(*next);  // -w starts with a newline
    }
    return lines;
  }
  // curl's exit code once it ends by itself.
  int wait() {
    int status = 0;
    if (pid_ <= 0 || waitpid(pid_, &status, 0) != pid_) return -1;
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
};

struct CurlResult {
  int exit_code = -1;
  std::string body;
  std::string http_version;  // "2" or "1.1"
  int status = 0;
};

class KubeApiServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/kube-apiserver-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
    write("ca.pem", pki_.ca.cert_pem);
    write("client.pem", pki_.client.cert_pem);
    write("client-key.pem", pki_.client.key_pem);
    start(options());
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  KubeApiServerOptions options() const {
    KubeApiServerOptions options;
    const demo::CertifiedKey leaf =
        demo::make_leaf(pki_.ca, "kubernetes", std::vector<std::string>{kHost, "localhost"});
    options.cert_pem = leaf.cert_pem;
    options.key_pem = leaf.key_pem;
    return options;
  }
  void start(const KubeApiServerOptions& options) {
    server_.reset();
    server_ = std::make_unique<KubeApiServer>(options);
  }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ + "/" + name) << text;
  }

  // curl's arguments for GET `target`; `extra` goes before the URL.
  std::vector<std::string> args(const std::string& target, std::vector<std::string> extra,
                                const std::string& max_time = "5") const {
    std::vector<std::string> all = {
        "-sS",        "-N",
        "--max-time", max_time,
        "--cacert",   dir_ + "/ca.pem",
        "--resolve",  std::string(kHost) + ":" + std::to_string(server_->port()) + ":127.0.0.1",
        "-w",         "\n%{http_version} %{http_code}"};
    all.insert(all.end(), extra.begin(), extra.end());
    all.push_back("https://" + std::string(kHost) + ":" + std::to_string(server_->port()) + target);
    return all;
  }
  static std::vector<std::string> token(const std::string& protocol = "--http2",
                                        const std::string& value = "test-token") {
    return {protocol, "-H", "Authorization: Bearer " + value};
  }

  CurlResult get(const std::string& target, std::vector<std::string> extra = token()) const {
    Curl curl(args(target, std::move(extra)));
    std::vector<std::string> lines = curl.rest();
    CurlResult result;
    result.exit_code = curl.wait();
    if (lines.empty()) return result;
    const std::string trailer = lines.back();
    lines.pop_back();
    for (const std::string& line : lines)
      result.body += line + "\n";
    const size_t space = trailer.find(' ');
    result.http_version = trailer.substr(0, space);
    if (space != std::string::npos) result.status = std::stoi(trailer.substr(space + 1));
    return result;
  }
  json get_json(const std::string& target, std::vector<std::string> extra = token()) const {
    const CurlResult result = get(target, std::move(extra));
    EXPECT_EQ(result.exit_code, 0);
    return json::parse(result.body, nullptr, false);
  }
  bool watches_become(size_t n) const {
    return poll_until([&] { return server_->open_watches() == n; });
  }

  TestPki pki_;
  std::string dir_;
  std::unique_ptr<KubeApiServer> server_;
};

json parse_event(const std::optional<std::string>& line) {
  if (!line) return json();
  return json::parse(*line, nullptr, false);
}

TEST_F(KubeApiServerTest, ListOverHttp2) {
  server_->apply(kPods, pod("b", "two", "10.0.0.2"));
  const std::string rv = server_->apply(kPods, pod("a", "one", "10.0.0.1"));
  const CurlResult result = get(kPods);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.http_version, "2");
  EXPECT_EQ(result.status, 200);
  const json list = json::parse(result.body);
  EXPECT_EQ(list["kind"], "PodList");
  EXPECT_EQ(list["apiVersion"], "v1");
  EXPECT_EQ(list["metadata"]["resourceVersion"], rv);
  EXPECT_FALSE(list["metadata"].contains("continue"));
  ASSERT_EQ(list["items"].size(), 2u);
  EXPECT_EQ(list["items"][0]["metadata"]["name"], "one");  // sorted by namespace/name
  EXPECT_EQ(list["items"][0]["metadata"]["resourceVersion"], rv);
  EXPECT_EQ(list["items"][1]["status"]["podIP"], "10.0.0.2");
  const std::vector<KubeApiRequest> requests = server_->requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].protocol, "h2");
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, kPods);
  EXPECT_EQ(requests[0].authorization, "Bearer test-token");
  EXPECT_FALSE(requests[0].client_certificate);
  EXPECT_EQ(requests[0].status, 200);
}

// Larger than HTTP/2's initial flow-control window (64 KiB): the body goes
// out as curl's WINDOW_UPDATEs arrive.
TEST_F(KubeApiServerTest, ListLargerThanTheHttp2Window) {
  const std::string padding(400, 'x');
  for (int i = 0; i < 1000; ++i) {
    server_->apply(kPods, pod("ns", "pod-" + std::to_string(i), padding));
  }
  const CurlResult result = get(kPods);
  EXPECT_EQ(result.http_version, "2");
  ASSERT_GT(result.body.size(), 400'000u);
  EXPECT_EQ(json::parse(result.body)["items"].size(), 1000u);
}

TEST_F(KubeApiServerTest, ListOverHttp11WithTheRealServersHeaders) {
  server_->apply("/apis/networking.istio.io/v1beta1/serviceentries", pod("bar", "se"));
  const std::string headers = dir_ + "/headers.txt";
  std::vector<std::string> extra = token("--http1.1");
  extra.insert(extra.end(), {"-D", headers});
  const CurlResult result = get("/apis/networking.istio.io/v1beta1/serviceentries", extra);
  EXPECT_EQ(result.http_version, "1.1");
  EXPECT_EQ(result.status, 200);
  const json list = json::parse(result.body);
  EXPECT_EQ(list["kind"], "ServiceEntryList");
  EXPECT_EQ(list["apiVersion"], "networking.istio.io/v1beta1");
  EXPECT_EQ(list["items"].size(), 1u);
  std::ifstream in(headers);
  const std::string head((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(head.find("Content-Type: application/json"), std::string::npos) << head;
  EXPECT_NE(head.find("Cache-Control: no-cache, private"), std::string::npos) << head;
  EXPECT_NE(head.find("Content-Length: "), std::string::npos) << head;
  EXPECT_NE(head.find("Audit-Id: "), std::string::npos) << head;
  EXPECT_EQ(server_->requests().at(0).protocol, "http/1.1");
}

TEST_F(KubeApiServerTest, WithoutH2OfferCurlFallsBackToHttp11) {
  KubeApiServerOptions http1_only = options();
  http1_only.offer_h2 = false;
  start(http1_only);
  const CurlResult result = get(kPods, token("--http2"));
  EXPECT_EQ(result.http_version, "1.1");
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(json::parse(result.body)["items"].size(), 0u);
}

TEST_F(KubeApiServerTest, PaginationWalksPagesOfOneSnapshot) {
  std::set<std::string> applied;
  for (const char* name : {"e", "c", "a", "d", "b"}) {
    server_->apply(kPods, pod("ns", name));
    applied.insert(name);
  }
  json page = get_json(std::string(kPods) + "?limit=2");
  const std::string rv = page["metadata"]["resourceVersion"];
  EXPECT_EQ(page["metadata"]["remainingItemCount"], 3);
  server_->apply(kPods, pod("ns", "aa"));  // after the first page: not in this list
  std::multiset<std::string> seen;
  for (int pages = 1;; ++pages) {
    ASSERT_LE(pages, 3);
    EXPECT_EQ(page["metadata"]["resourceVersion"], rv);
    for (const json& item : page["items"])
      seen.insert(item["metadata"]["name"]);
    const std::string next = page["metadata"].value("continue", "");
    if (next.empty()) {
      EXPECT_EQ(pages, 3);
      EXPECT_EQ(page["items"].size(), 1u);
      break;
    }
    page = get_json(std::string(kPods) + "?limit=2&continue=" + next);
  }
  EXPECT_EQ(seen, std::multiset<std::string>(applied.begin(), applied.end()));
}

TEST_F(KubeApiServerTest, ContinueTokenAfterExpireHistoryIsGone) {
  for (const char* name : {"a", "b", "c"})
    server_->apply(kPods, pod("ns", name));
  const json first = get_json(std::string(kPods) + "?limit=1");
  const std::string next = first["metadata"]["continue"];
  server_->expire_history();
  const CurlResult result = get(std::string(kPods) + "?limit=1&continue=" + next);
  EXPECT_EQ(result.status, 410);
  const json status = json::parse(result.body);
  EXPECT_EQ(status["kind"], "Status");
  EXPECT_EQ(status["reason"], "Expired");
  EXPECT_EQ(status["code"], 410);
}

// Watches behave the same over both protocols.
class KubeApiWatchTest : public KubeApiServerTest,
                         public ::testing::WithParamInterface<std::string> {};

TEST_P(KubeApiWatchTest, FromListVersionSeesModifiedThenDeleted) {
  server_->apply(kPods, pod("ns", "web", "10.0.0.1"));
  const std::string rv = get_json(kPods)["metadata"]["resourceVersion"];
  Curl watch(args(std::string(kPods) + "?watch=1&resourceVersion=" + rv, token(GetParam())));
  ASSERT_TRUE(watches_become(1));
  const std::string modified_rv = server_->apply(kPods, pod("ns", "web", "10.0.0.9"));
  const std::string deleted_rv = server_->remove(kPods, "ns", "web");
  const json modified = parse_event(watch.line());
  EXPECT_EQ(modified["type"], "MODIFIED");
  EXPECT_EQ(modified["object"]["kind"], "Pod");
  EXPECT_EQ(modified["object"]["status"]["podIP"], "10.0.0.9");
  EXPECT_EQ(modified["object"]["metadata"]["resourceVersion"], modified_rv);
  const json deleted = parse_event(watch.line());
  EXPECT_EQ(deleted["type"], "DELETED");
  EXPECT_EQ(deleted["object"]["metadata"]["name"], "web");
  EXPECT_EQ(deleted["object"]["metadata"]["resourceVersion"], deleted_rv);
}

TEST_P(KubeApiWatchTest, DropConnectionsCutsAnOpenWatch) {
  Curl watch(args(std::string(kPods) + "?watch=true", token(GetParam())));
  ASSERT_TRUE(watches_become(1));
  server_->apply(kPods, pod("ns", "web"));
  EXPECT_EQ(parse_event(watch.line())["type"], "ADDED");
  server_->drop_connections();
  watch.rest();
  const int exit_code = watch.wait();
  EXPECT_NE(exit_code, 0);   // not a clean end of the response
  EXPECT_NE(exit_code, 28);  // and not curl's own timeout
  EXPECT_EQ(server_->open_watches(), 0u);
}

std::string protocol_name(const ::testing::TestParamInfo<std::string>& param) {
  return param.param == "--http2" ? "H2" : "Http11";
}

INSTANTIATE_TEST_SUITE_P(Protocols, KubeApiWatchTest, ::testing::Values("--http2", "--http1.1"),
                         protocol_name);

TEST_F(KubeApiServerTest, WatchFromZeroStartsWithAddedForEachObject) {
  server_->apply(kPods, pod("ns", "b"));
  server_->apply(kPods, pod("ns", "a"));
  Curl watch(args(std::string(kPods) + "?watch=1&resourceVersion=0", token()));
  const json first = parse_event(watch.line());
  const json second = parse_event(watch.line());
  EXPECT_EQ(first["type"], "ADDED");
  EXPECT_EQ(first["object"]["metadata"]["name"], "a");
  EXPECT_EQ(first["object"]["apiVersion"], "v1");
  EXPECT_EQ(second["type"], "ADDED");
  EXPECT_EQ(second["object"]["metadata"]["name"], "b");
}

TEST_F(KubeApiServerTest, BookmarkCarriesTheCurrentResourceVersion) {
  const std::string slices = "/apis/discovery.k8s.io/v1/endpointslices";
  Curl plain(args(slices + "?watch=1&resourceVersion=0", token()));
  Curl watch(args(slices + "?watch=1&resourceVersion=0&allowWatchBookmarks=true", token()));
  ASSERT_TRUE(watches_become(2));
  const std::string rv = server_->apply(kPods, pod("ns", "elsewhere"));  // another collection
  server_->bookmark();
  const json bookmark = parse_event(watch.line());
  EXPECT_EQ(bookmark["type"], "BOOKMARK");
  EXPECT_EQ(bookmark["object"]["kind"], "EndpointSlice");
  EXPECT_EQ(bookmark["object"]["apiVersion"], "discovery.k8s.io/v1");
  EXPECT_EQ(bookmark["object"]["metadata"]["resourceVersion"], rv);
  server_->expire_history();  // ends both watches: the plain one saw no bookmark
  const json ended = parse_event(plain.line());
  EXPECT_EQ(ended["type"], "ERROR");
}

TEST_F(KubeApiServerTest, WatchFromExpiredVersionGetsErrorThenEnds) {
  const std::string old_rv = server_->apply(kPods, pod("ns", "a"));
  server_->apply(kPods, pod("ns", "b"));
  server_->expire_history();
  Curl watch(args(std::string(kPods) + "?watch=1&resourceVersion=" + old_rv, token()));
  const std::vector<std::string> lines = watch.rest();
  EXPECT_EQ(watch.wait(), 0);  // a clean end of the response
  ASSERT_EQ(lines.size(), 2u);
  const json error = json::parse(lines[0]);
  EXPECT_EQ(error["type"], "ERROR");
  EXPECT_EQ(error["object"]["kind"], "Status");
  EXPECT_EQ(error["object"]["code"], 410);
  EXPECT_EQ(error["object"]["reason"], "Expired");
  EXPECT_EQ(lines[1], "2 200");
}

TEST_F(KubeApiServerTest, ExpireHistoryEndsOpenWatchesWithError) {
  const std::string rv = server_->apply(kPods, pod("ns", "a"));
  Curl watch(args(std::string(kPods) + "?watch=1&resourceVersion=" + rv, token("--http1.1")));
  ASSERT_TRUE(watches_become(1));
  server_->expire_history();
  const std::vector<std::string> lines = watch.rest();
  EXPECT_EQ(watch.wait(), 0);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(json::parse(lines[0])["object"]["reason"], "Expired");
  EXPECT_EQ(server_->open_watches(), 0u);
}

TEST_F(KubeApiServerTest, TimeoutSecondsEndsTheWatchCleanly) {
  Curl watch(args(std::string(kPods) + "?watch=1&timeoutSeconds=1", token()));
  const std::vector<std::string> lines = watch.rest();
  EXPECT_EQ(watch.wait(), 0);
  EXPECT_EQ(lines, std::vector<std::string>{"2 200"});
}

TEST_F(KubeApiServerTest, MissingOrRotatedTokenIsUnauthorized) {
  const CurlResult anonymous = get(kPods, {"--http2"});
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(json::parse(anonymous.body),
            json::parse(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
                "message":"Unauthorized","reason":"Unauthorized","code":401})"));
  server_->set_token("rotated");
  EXPECT_EQ(get(kPods, token("--http1.1")).status, 401);
  EXPECT_EQ(get(kPods, token("--http2", "rotated")).status, 200);
  const std::vector<KubeApiRequest> requests = server_->requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].authorization, "");
  EXPECT_EQ(requests[1].protocol, "http/1.1");
  EXPECT_EQ(requests[1].status, 401);
  EXPECT_EQ(requests[2].authorization, "Bearer rotated");
}

TEST_F(KubeApiServerTest, InjectedErrorsAreStatusBodies) {
  const std::string rules = "/apis/networking.istio.io/v1beta1/destinationrules";
  server_->set_error(rules, 403);
  const CurlResult forbidden = get(rules);
  EXPECT_EQ(forbidden.status, 403);
  const json status = json::parse(forbidden.body);
  EXPECT_EQ(status["reason"], "Forbidden");
  EXPECT_EQ(status["code"], 403);
  EXPECT_EQ(status["details"], json::parse(R"({"group":"networking.istio.io",
                                              "kind":"destinationrules"})"));
  EXPECT_NE(status["message"].get<std::string>().find(
                "destinationrules.networking.istio.io is forbidden: User "
                "\"system:serviceaccount:istio-system:meshgate\" cannot list resource"),
            std::string::npos);
  EXPECT_EQ(get(rules + "?watch=1").status, 403);
  server_->set_error(kPods, 404);
  const CurlResult missing = get(kPods);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(json::parse(missing.body)["reason"], "NotFound");
  server_->set_error(kPods, 0);
  EXPECT_EQ(get(kPods).status, 200);
}

TEST_F(KubeApiServerTest, UnknownCollectionIsNotFound) {
  const CurlResult result = get("/apis/example.com/v1/widgets");
  EXPECT_EQ(result.status, 404);
  EXPECT_EQ(json::parse(result.body),
            json::parse(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
                "message":"the server could not find the requested resource",
                "reason":"NotFound","details":{},"code":404})"));
  server_->apply("/apis/example.com/v1/widgets", pod("ns", "w"));  // now it exists
  EXPECT_EQ(get("/apis/example.com/v1/widgets").status, 200);
}

TEST_F(KubeApiServerTest, DownRefusesConnectionsThenServesOnTheSamePort) {
  const uint16_t port = server_->port();
  server_->set_down(true);
  EXPECT_EQ(get(kPods).exit_code, 7);  // couldn't connect
  server_->set_down(false);
  EXPECT_EQ(server_->port(), port);
  EXPECT_EQ(get(kPods).status, 200);
}

TEST_F(KubeApiServerTest, ClientCertificateAuthenticatesWithoutToken) {
  KubeApiServerOptions mtls = options();
  mtls.client_ca_pem = pki_.ca.cert_pem;
  start(mtls);
  const CurlResult result =
      get(kPods, {"--http2", "--cert", dir_ + "/client.pem", "--key", dir_ + "/client-key.pem"});
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(get(kPods, {"--http2"}).status, 401);  // no certificate, no token
  const std::vector<KubeApiRequest> requests = server_->requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_TRUE(requests[0].client_certificate);
  EXPECT_EQ(requests[0].authorization, "");
  EXPECT_FALSE(requests[1].client_certificate);
}

// curl hides the framing; a raw client checks keep-alive and chunked lines.
TEST_F(KubeApiServerTest, Http11KeepAliveThenChunkedWatch) {
  TlsClientOptions tls;
  tls.sni = kHost;
  tls.alpn = {"http/1.1"};
  tls.ca_pem = pki_.ca.cert_pem;
  tls.verify_host = kHost;
  TlsClient client(server_->port(), tls);
  ASSERT_TRUE(client.handshake_ok()) << client.error();
  const std::string auth = "Authorization: Bearer test-token\r\n\r\n";
  ASSERT_TRUE(client.write("GET /api/v1/namespaces HTTP/1.1\r\nHost: k\r\n" + auth +
                           "GET /api/v1/pods?watch=1 HTTP/1.1\r\nHost: k\r\nConnection: close\r\n" +
                           auth));
  ASSERT_TRUE(watches_become(1));
  server_->apply(kPods, pod("ns", "web"));
  server_->expire_history();  // the ERROR line, then the last chunk
  const std::string wire = client.read(64 * 1024);
  const size_t list = wire.find("HTTP/1.1 200 OK\r\n");
  const size_t watch = wire.find("HTTP/1.1 200 OK\r\n", list + 1);
  ASSERT_NE(watch, std::string::npos) << wire;
  EXPECT_NE(wire.find("\"kind\":\"NamespaceList\""), std::string::npos);
  EXPECT_NE(wire.find("Transfer-Encoding: chunked\r\n", watch), std::string::npos);
  EXPECT_NE(wire.find("\r\n{\"type\":\"ADDED\""), std::string::npos);
  EXPECT_NE(wire.find("\r\n{\"type\":\"ERROR\""), std::string::npos);
  EXPECT_TRUE(wire.ends_with("}\n\r\n0\r\n\r\n")) << wire;
}

// POST .../serviceaccounts/<name>/token, as `kubectl create token` sends it.
TEST_F(KubeApiServerTest, TokenRequestOverHttp11) {
  const std::string target = "/api/v1/namespaces/vm/serviceaccounts/sa/token";
  const std::string body = R"({"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest",)"
                           R"("spec":{"audiences":["istio-ca"],"expirationSeconds":3600}})";
  auto post = [&](const std::string& data) {
    std::vector<std::string> extra = token("--http1.1");
    extra.insert(extra.end(), {"-H", "Content-Type: application/json", "--data-binary", data});
    return get(target, extra);
  };
  CurlResult missing = post(body);
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find(R"(serviceaccounts \"sa\" not found)"), std::string::npos)
      << missing.body;

  server_->apply("/api/v1/serviceaccounts",
                 R"({"metadata":{"name":"sa","namespace":"vm"},"kind":"ServiceAccount"})");
  const CurlResult created = post(body);
  EXPECT_EQ(created.http_version, "1.1");
  ASSERT_EQ(created.status, 201) << created.body;
  const json answer = json::parse(created.body, nullptr, false);
  EXPECT_EQ(answer["status"]["token"], "token-for-vm-sa-istio-ca");
  EXPECT_TRUE(answer["status"]["expirationTimestamp"].is_string());

  const CurlResult short_lived =
      post(R"({"kind":"TokenRequest","spec":{"audiences":["istio-ca"],"expirationSeconds":60}})");
  EXPECT_EQ(short_lived.status, 422);
  EXPECT_NE(short_lived.body.find("less than 10 minutes"), std::string::npos);
  EXPECT_EQ(post(R"({"kind":"TokenRequest","spec":{}})").status, 422);
  EXPECT_EQ(post("not json").status, 400);
}

}  // namespace
}  // namespace meshgate::testing

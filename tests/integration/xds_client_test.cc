// The xDS client against a stand-in istiod speaking the real protocol (gRPC
// over TLS, Envoy's ADS): the node and token on the stream, the first
// complete push, ACKs with nonces, a wrong root certificate and a refused
// token said and counted, reconnection with the last state kept and the
// token read again. Istio's side: pilot/pkg/xds/ads.go, pkg/xds/server.go,
// security/pkg/server/ca/authenticate/kubeauth/kube_jwt.go.
#include "discovery/xds/xds_client.h"

#include <gtest/gtest.h>

#include "tests/support/app_harness.h"
#include "tests/support/fake_istiod.h"
#include "tests/unit/discovery/xds/xds_builders.h"

namespace meshgate::discovery::xds {
namespace {

using namespace testing;
using meshgate::testing::FakeIstiod;
using meshgate::testing::TempDir;
constexpr auto kWait = std::chrono::seconds(10);
constexpr std::string_view kReviews = "outbound_.9080_._.reviews.bookinfo.svc.cluster.local";

class XdsClientTest : public ::testing::Test {
 protected:
  XdsClientOptions options_for(const FakeIstiod& istiod) {
    XdsClientOptions options;
    options.address = istiod.address();
    options.server_name = FakeIstiod::kServerName;
    options.root_cert_file = dir_.write("root-cert.pem", istiod.root_pem());
    options.token_file = dir_.write("istio-token", "token-1\n");
    options.cluster_id = "cluster1";
    options.node.pod_name = "eastwest-0";
    options.node.pod_namespace = "istio-system";
    options.node.pod_ip = "10.8.0.14";
    options.node.istio_version = "1.24.0";
    options.initial_backoff = std::chrono::milliseconds(10);
    options.max_backoff = std::chrono::milliseconds(40);
    return options;
  }

  std::unique_ptr<XdsClient> start(XdsClientOptions options) {
    auto client = std::make_unique<XdsClient>(std::move(options),
                                              [this](const XdsStatePtr& state, bool complete) {
                                                std::lock_guard lock(mutex_);
                                                state_ = state;
                                                complete_ = complete;
                                                changed_.notify_all();
                                              });
    client->start();
    return client;
  }

  // Waits (bounded) until `done` holds of the last state handed over.
  template <typename Done>
  bool wait_for_state(Done done) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kWait, [&] { return state_ && done(*state_, complete_); });
  }

  void push_everything(FakeIstiod& istiod, std::string_view version) {
    ASSERT_TRUE(istiod.push(response(kClusterType, version, std::string("c") + std::string(version),
                                     std::vector{eds_cluster(kReviews)})));
    ASSERT_TRUE(
        istiod.push(response(kListenerType, version, std::string("l") + std::string(version),
                             std::vector{listener(15443, {passthrough_chain(kReviews)})})));
    // As istiod: endpoints only once they were asked for (CDS, LDS, CDS ACK, EDS).
    ASSERT_TRUE(istiod.request(3));
    ASSERT_TRUE(
        istiod.push(response(kLoadAssignmentType, version, std::string("e") + std::string(version),
                             std::vector{assignment(kReviews, {{"10.1.0.5", 9080}})})));
  }

  TempDir dir_;
  std::mutex mutex_;
  std::condition_variable changed_;
  XdsStatePtr state_;
  bool complete_ = false;
};

TEST_F(XdsClientTest, TheFirstRequestCarriesTheNodeAndTheStreamTheToken) {
  FakeIstiod istiod("token-1");
  auto client = start(options_for(istiod));
  const auto first = istiod.request(0);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->type_url(), kClusterType);
  EXPECT_EQ(first->node().id(),
            "router~10.8.0.14~eastwest-0.istio-system~istio-system.svc.cluster.local");
  EXPECT_EQ(first->node().metadata().fields().at("ISTIO_VERSION").string_value(), "1.24.0");
  const auto second = istiod.request(1);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->type_url(), kListenerType);
  EXPECT_FALSE(second->has_node());
  EXPECT_EQ(istiod.authorizations(), std::vector<std::string>{"Bearer token-1"});
  EXPECT_EQ(istiod.cluster_ids(), std::vector<std::string>{"cluster1"});
}

TEST_F(XdsClientTest, AFullPushIsCompleteAndEveryResponseAcked) {
  FakeIstiod istiod("token-1");
  auto client = start(options_for(istiod));
  push_everything(istiod, "1");
  ASSERT_TRUE(wait_for_state([](const XdsState& state, bool complete) {
    return complete && state.assignments.count(std::string(kReviews)) == 1;
  }));
  // Requests: CDS, LDS, CDS ACK, EDS subscription, LDS ACK, EDS ACK.
  const auto eds_ack = istiod.request(5);
  ASSERT_TRUE(eds_ack);
  EXPECT_EQ(eds_ack->type_url(), kLoadAssignmentType);
  EXPECT_EQ(eds_ack->response_nonce(), "e1");
  EXPECT_EQ(eds_ack->version_info(), "1");
  const XdsClientStats stats = client->stats();
  EXPECT_TRUE(stats.connected);
  EXPECT_TRUE(stats.complete);
  EXPECT_EQ(stats.types[static_cast<size_t>(XdsType::kListener)].pushes, 1u);
}

TEST_F(XdsClientTest, AWrongRootCertificateIsSaidAndCounted) {
  FakeIstiod istiod("token-1");
  FakeIstiod other("token-1");  // its CA is not istiod's
  XdsClientOptions options = options_for(istiod);
  options.root_cert_file = dir_.write("wrong-root.pem", other.root_pem());
  auto client = start(options);
  EXPECT_TRUE(client->wait_for(
      [](const XdsClientStats& stats) {
        return stats.failures[static_cast<size_t>(XdsFailure::kTls)] >= 2;
      },
      kWait));
  client->stop();
  const XdsClientStats stats = client->stats();
  EXPECT_EQ(stats.last_failure, XdsFailure::kTls);
  EXPECT_FALSE(stats.connected);
  EXPECT_EQ(istiod.streams(), 0u);
}

TEST_F(XdsClientTest, ARefusedTokenIsSaidAndCounted) {
  FakeIstiod istiod("the-right-token");
  auto client = start(options_for(istiod));
  EXPECT_TRUE(client->wait_for(
      [](const XdsClientStats& stats) {
        return stats.failures[static_cast<size_t>(XdsFailure::kUnauthorized)] >= 2;
      },
      kWait));
  client->stop();
  EXPECT_EQ(client->stats().last_failure, XdsFailure::kUnauthorized);
  EXPECT_NE(client->stats().last_error.find("authentication failure"), std::string::npos)
      << client->stats().last_error;
  EXPECT_EQ(istiod.streams(), 0u);
}

TEST_F(XdsClientTest, AMissingTokenFileIsSaidWithoutDialling) {
  FakeIstiod istiod("token-1");
  XdsClientOptions options = options_for(istiod);
  options.token_file = dir_.path() + "/missing-token";
  auto client = start(options);
  EXPECT_TRUE(client->wait_for(
      [](const XdsClientStats& stats) { return stats.last_failure == XdsFailure::kToken; }, kWait));
  client->stop();
  EXPECT_NE(client->stats().last_error.find("missing-token"), std::string::npos);
  EXPECT_TRUE(istiod.authorizations().empty());
}

// istiod ends every stream after 30 minutes (keepaliveMaxServerConnectionAge):
// the client comes back with the token read again, the node, the last
// versions and its EDS names, and the last state serves meanwhile.
TEST_F(XdsClientTest, AnEndedStreamIsReopenedWithWhatWasAccepted) {
  FakeIstiod istiod("");
  auto client = start(options_for(istiod));
  push_everything(istiod, "1");
  ASSERT_TRUE(wait_for_state([](const XdsState&, bool complete) { return complete; }));
  const size_t requests_before = 6;
  ASSERT_TRUE(istiod.request(requests_before - 1));
  dir_.write("istio-token", "token-2\n");
  istiod.end_stream();
  const auto reopened = istiod.request(requests_before);
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->type_url(), kClusterType);
  EXPECT_EQ(reopened->version_info(), "1");
  EXPECT_EQ(reopened->response_nonce(), "");
  EXPECT_TRUE(reopened->has_node());
  const auto eds = istiod.request(requests_before + 2);
  ASSERT_TRUE(eds);
  EXPECT_EQ(eds->type_url(), kLoadAssignmentType);
  ASSERT_EQ(eds->resource_names_size(), 1);
  EXPECT_EQ(eds->resource_names(0), kReviews);
  EXPECT_EQ(istiod.authorizations().back(), "Bearer token-2");
  std::lock_guard lock(mutex_);
  EXPECT_TRUE(complete_);
  EXPECT_EQ(state_->assignments.size(), 1u);
}

TEST_F(XdsClientTest, ABadListenerIsNackedOverTheStream) {
  FakeIstiod istiod("");
  auto client = start(options_for(istiod));
  ASSERT_TRUE(istiod.request(1));
  envoy::config::listener::v3::FilterChain no_cluster = passthrough_chain("bad.example");
  *no_cluster.mutable_filters(1) = tcp_proxy_filter("");
  ASSERT_TRUE(
      istiod.push(response(kListenerType, "7", "bad", std::vector{listener(15443, {no_cluster})})));
  const auto nack = istiod.request(2);
  ASSERT_TRUE(nack);
  EXPECT_EQ(nack->response_nonce(), "bad");
  EXPECT_EQ(nack->version_info(), "");
  EXPECT_EQ(nack->error_detail().code(), 3);
  EXPECT_TRUE(client->wait_for(
      [](const XdsClientStats& stats) {
        return stats.types[static_cast<size_t>(XdsType::kListener)].nacks == 1;
      },
      kWait));
}

}  // namespace
}  // namespace meshgate::discovery::xds

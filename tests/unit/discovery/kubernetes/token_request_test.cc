#include "discovery/kubernetes/token_request.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace meshgate::discovery::kube {
namespace {

TEST(TokenRequestTest, PathAndBodyAsTheApiReferenceHasThem) {
  TokenRequestSpec spec;
  spec.ns = "bookinfo";
  spec.service_account = "ratings";
  spec.expiration_seconds = 7200;
  EXPECT_EQ(token_request_path(spec), "/api/v1/namespaces/bookinfo/serviceaccounts/ratings/token");
  const auto body = nlohmann::json::parse(token_request_body(spec));
  EXPECT_EQ(body["apiVersion"], "authentication.k8s.io/v1");
  EXPECT_EQ(body["kind"], "TokenRequest");
  EXPECT_EQ(body["spec"]["audiences"], nlohmann::json::array({"istio-ca"}));
  EXPECT_EQ(body["spec"]["expirationSeconds"], 7200);
}

TEST(TokenRequestTest, TokenFromACreatedAnswer) {
  const TokenResult result = parse_token_response(
      201, R"({"kind":"TokenRequest","status":{"token":"abc.def","expirationTimestamp":"x"}})");
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(result.token, "abc.def");
}

TEST(TokenRequestTest, ACreatedAnswerWithoutATokenIsAnError) {
  for (const char* body : {R"({"status":{}})", R"({"status":{"token":""}})",
                           R"({"status":{"token":7}})", R"({"status":"x"})", "[]", "garbage"}) {
    const TokenResult result = parse_token_response(201, body);
    EXPECT_FALSE(result.ok()) << body;
    EXPECT_EQ(result.error, "the API server's answer holds no status.token") << body;
  }
}

TEST(TokenRequestTest, AFailureCarriesTheStatusMessage) {
  EXPECT_EQ(parse_token_response(403, R"({"kind":"Status","message":"no create for you"})").error,
            "the API server answered 403: no create for you");
  EXPECT_EQ(parse_token_response(500, "<html>").error, "the API server answered 500");
  EXPECT_EQ(parse_token_response(200, R"({"message":7})").error, "the API server answered 200");
}

}  // namespace
}  // namespace meshgate::discovery::kube

// The pure parts of one-object GETs: paths as the Kubernetes API reference
// names them, answers and metav1.Status messages, ConfigMap data. The wire
// is tested in tests/integration/vm_files_cluster_test.cc.
#include "discovery/kubernetes/object_get.h"

#include <gtest/gtest.h>

#include <string>

namespace meshgate::discovery::kube {
namespace {

TEST(ObjectGetTest, PathsAsTheApiReferenceHasThem) {
  EXPECT_EQ(config_map_path("istio-system", "istio"),
            "/api/v1/namespaces/istio-system/configmaps/istio");
  EXPECT_EQ(deployment_path("istio-system", "istiod-canary"),
            "/apis/apps/v1/namespaces/istio-system/deployments/istiod-canary");
}

TEST(ObjectGetTest, AnswersAndStatusMessages) {
  const ObjectResult ok = object_result(200, R"({"kind":"ConfigMap"})");
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.body, R"({"kind":"ConfigMap"})");
  const ObjectResult missing =
      object_result(404, R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",)"
                         R"("message":"configmaps \"istio\" not found","reason":"NotFound",)"
                         R"("details":{"name":"istio","kind":"configmaps"},"code":404})");
  EXPECT_TRUE(missing.not_found());
  EXPECT_EQ(missing.error, R"(the API server answered 404: configmaps "istio" not found)");
  EXPECT_EQ(missing.body, "");
  EXPECT_EQ(object_result(503, "<html>busy</html>").error, "the API server answered 503");
  const ObjectResult long_message =
      object_result(403, R"({"message":")" + std::string(4096, 'x') + R"("})");
  EXPECT_LT(long_message.error.size(), 600u);
}

TEST(ObjectGetTest, ConfigMapData) {
  const ConfigMapData data = parse_config_map(
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"istio"},)"
      R"("data":{"mesh":"trustDomain: cluster.local\n","meshNetworks":"networks: {}"},)"
      R"("binaryData":{"x":"AAAA"}})");
  ASSERT_EQ(data.error, "");
  EXPECT_EQ(data.data.size(), 2u);
  EXPECT_EQ(data.data.at("mesh"), "trustDomain: cluster.local\n");
  EXPECT_TRUE(parse_config_map(R"({"kind":"ConfigMap","metadata":{}})").data.empty());
  EXPECT_TRUE(parse_config_map(R"({"kind":"ConfigMap","data":null})").error.empty());
  EXPECT_EQ(parse_config_map(R"({"kind":"Secret","data":{}})").error, "not a ConfigMap");
  EXPECT_EQ(parse_config_map(R"({"data":{"a":1}})").error, "data.a: not a string");
  EXPECT_EQ(parse_config_map(R"({"data":[]})").error, "data: not an object");
  EXPECT_EQ(parse_config_map("not json").error, "not a JSON object");
}

}  // namespace
}  // namespace meshgate::discovery::kube

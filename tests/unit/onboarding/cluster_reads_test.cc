// What vm-files reads from a cluster. The cluster ID follows
// istioctl/pkg/workload/workload.go extractClusterIDFromInjectionConfig
// (istio-sidecar-injector[-REV], values global.multiCluster.clusterName),
// then istiod's CLUSTER_ID as manifests/charts/istio-control/istio-discovery
// templates/deployment.yaml sets it, with pilot/pkg/features ClusterName's
// default; the mesh config and root certificate follow createMeshConfig and
// createCertsTokens.
#include "onboarding/cluster_reads.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/onboarding/onboarding_test_util.h"

namespace meshgate::onboarding {
namespace {

constexpr const char* kInjector =
    "/api/v1/namespaces/istio-system/configmaps/istio-sidecar-injector";
constexpr const char* kIstiod = "/apis/apps/v1/namespaces/istio-system/deployments/istiod";

// An istiod Deployment, as the chart writes it, with `env` for discovery.
std::string istiod(const std::string& env, const std::string& extra = "") {
  return R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"istiod",)"
         R"("namespace":"istio-system"},"spec":{"template":{"spec":{"containers":[)"
         R"({"name":"discovery","image":"docker.io/istio/pilot:1.24.0","env":[)" +
         env + "]" + extra + "}]}}}}";
}

TEST(ClusterReads, NamesFollowTheRevision) {
  EXPECT_EQ(injector_config_map({}), "istio-sidecar-injector");
  EXPECT_EQ(mesh_config_map({}), "istio");
  EXPECT_EQ(istiod_deployment({}), "istiod");
  const ControlPlane canary{"istio-system", "canary"};
  EXPECT_EQ(injector_config_map(canary), "istio-sidecar-injector-canary");
  EXPECT_EQ(mesh_config_map(canary), "istio-canary");
  EXPECT_EQ(istiod_deployment(canary), "istiod-canary");
  EXPECT_EQ(mesh_config_map({"istio-system", "default"}), "istio");
}

TEST(ClusterReads, ClusterNameFromTheInjectorsValues) {
  EXPECT_EQ(cluster_name_from_values(R"({"global":{"multiCluster":{"clusterName":"c1"}}})").value,
            "c1");
  for (const char* none : {R"({})", R"({"global":{}})", R"({"global":{"multiCluster":{}}})",
                           R"({"global":{"multiCluster":{"clusterName":null}}})",
                           R"({"global":{"multiCluster":{"clusterName":""}}})"}) {
    const Found found = cluster_name_from_values(none);
    EXPECT_TRUE(found.ok()) << none << ": " << found.error;
    EXPECT_EQ(found.value, "") << none;
  }
  EXPECT_EQ(cluster_name_from_values("{not json").error, "not a JSON object");
  EXPECT_EQ(cluster_name_from_values(R"({"global":{"multiCluster":{"clusterName":7}}})").error,
            "global.multiCluster.clusterName: not a string");
  EXPECT_NE(cluster_name_from_values(R"({"global":{"multiCluster":{"clusterName":"c'1"}}})")
                .error.find("not letters"),
            std::string::npos);
  EXPECT_NE(cluster_name_from_values(std::string(kMaxInjectorValuesBytes + 1, ' '))
                .error.find("larger than"),
            std::string::npos);
}

TEST(ClusterReads, ClusterIdFromIstiodsDeployment) {
  EXPECT_EQ(cluster_id_from_istiod(istiod(R"({"name":"CLUSTER_ID","value":"west"})")).value,
            "west");
  // The chart always sets it; without it istiod says Kubernetes.
  EXPECT_EQ(cluster_id_from_istiod(istiod(R"({"name":"PILOT_TRACE_SAMPLING","value":"1"})")).value,
            "Kubernetes");
  const std::string from_ref =
      istiod(R"({"name":"CLUSTER_ID","valueFrom":{"configMapKeyRef":{"name":"c","key":"k"}}})");
  EXPECT_NE(cluster_id_from_istiod(from_ref).error.find("valueFrom"), std::string::npos);
  EXPECT_NE(cluster_id_from_istiod(istiod("", R"(,"envFrom":[{"configMapRef":{"name":"c"}}])"))
                .error.find("envFrom"),
            std::string::npos);
  EXPECT_NE(cluster_id_from_istiod(R"({"kind":"Deployment","spec":{}})")
                .error.find("no container named discovery"),
            std::string::npos);
  EXPECT_EQ(cluster_id_from_istiod(R"({"kind":"StatefulSet"})").error, "not a Deployment");
  EXPECT_NE(cluster_id_from_istiod(istiod(R"({"name":"CLUSTER_ID","value":"a b"})"))
                .error.find("not letters"),
            std::string::npos);
}

TEST(ClusterReads, TheInjectorComesFirst) {
  test::FakeCluster cluster;
  cluster.config_map("istio-system", "istio-sidecar-injector",
                     {{"values", R"({"global":{"multiCluster":{"clusterName":"cluster1"}}})"}});
  cluster.objects[kIstiod] = istiod(R"({"name":"CLUSTER_ID","value":"other"})");
  ClusterValue value;
  EXPECT_EQ(read_cluster_id(cluster.getter(), {}, value), "");
  EXPECT_EQ(value.value, "cluster1");
  EXPECT_EQ(cluster.asked, (std::vector<std::string>{kInjector}));
}

// Where istioctl would write an empty cluster ID, istiod's own is read.
TEST(ClusterReads, IstiodWhenTheInjectorNamesNone) {
  test::FakeCluster cluster;
  cluster.config_map("istio-system", "istio-sidecar-injector", {{"values", R"({"global":{}})"}});
  cluster.objects[kIstiod] = istiod(R"({"name":"CLUSTER_ID","value":"cluster2"})");
  ClusterValue value;
  EXPECT_EQ(read_cluster_id(cluster.getter(), {}, value), "");
  EXPECT_EQ(value.value, "cluster2");
  EXPECT_EQ(value.source, "Deployment istio-system/istiod (CLUSTER_ID of container discovery)");
  EXPECT_EQ(cluster.asked, (std::vector<std::string>{kInjector, kIstiod}));

  test::FakeCluster no_injector;  // a revision, and no injector ConfigMap at all
  no_injector.objects["/apis/apps/v1/namespaces/istio-system/deployments/istiod-canary"] =
      istiod(R"({"name":"CLUSTER_ID","value":"cluster3"})");
  EXPECT_EQ(read_cluster_id(no_injector.getter(), {"istio-system", "canary"}, value), "");
  EXPECT_EQ(value.value, "cluster3");
}

TEST(ClusterReads, NoClusterIdIsNeverGuessed) {
  test::FakeCluster empty;
  ClusterValue value;
  EXPECT_EQ(read_cluster_id(empty.getter(), {}, value),
            "no cluster ID: ConfigMap istio-system/istio-sidecar-injector not found, and "
            "Deployment istio-system/istiod not found; give --cluster-id");

  test::FakeCluster forbidden;  // a refusal is not "missing": no fallback
  forbidden.failures[kInjector] = 403;
  forbidden.objects[kIstiod] = istiod(R"({"name":"CLUSTER_ID","value":"cluster2"})");
  EXPECT_NE(read_cluster_id(forbidden.getter(), {}, value).find("403"), std::string::npos);
  EXPECT_EQ(forbidden.asked.size(), 1u);

  test::FakeCluster bad_values;
  bad_values.config_map("istio-system", "istio-sidecar-injector", {{"values", "{"}});
  EXPECT_EQ(read_cluster_id(bad_values.getter(), {}, value),
            "ConfigMap istio-system/istio-sidecar-injector: values: not a JSON object; give "
            "--cluster-id");

  test::FakeCluster istiod_forbidden;
  istiod_forbidden.failures[kIstiod] = 403;
  EXPECT_NE(read_cluster_id(istiod_forbidden.getter(), {}, value)
                .find("cannot read Deployment istio-system/istiod: the API server answered 403"),
            std::string::npos);
}

TEST(ClusterReads, MeshConfigAndRootCert) {
  test::FakeCluster cluster;
  cluster.config_map("istio-system", "istio-canary", {{"mesh", "trustDomain: td\n"}});
  cluster.config_map("istio-system", "istio", {});
  cluster.config_map("bookinfo", "istio-ca-root-cert", {{"root-cert.pem", test::kCert}});
  ClusterValue value;
  EXPECT_EQ(read_mesh_config(cluster.getter(), {"istio-system", "canary"}, value), "");
  EXPECT_EQ(value.value, "trustDomain: td\n");
  EXPECT_EQ(value.source, "ConfigMap istio-system/istio-canary (mesh)");
  EXPECT_EQ(read_mesh_config(cluster.getter(), {}, value), "");  // no `mesh` key: empty
  EXPECT_EQ(value.value, "");
  EXPECT_EQ(read_mesh_config(cluster.getter(), {"istio-control", ""}, value),
            "ConfigMap istio-control/istio not found; give --mesh-config FILE (or the right "
            "--revision)");
  EXPECT_EQ(read_root_cert(cluster.getter(), "bookinfo", value), "");
  EXPECT_EQ(value.value, test::kCert);
  cluster.config_map("bookinfo", "istio-ca-root-cert", {{"other", "x"}});
  EXPECT_EQ(read_root_cert(cluster.getter(), "bookinfo", value),
            "ConfigMap bookinfo/istio-ca-root-cert has no root-cert.pem");
  EXPECT_EQ(read_root_cert(cluster.getter(), "default", value),
            "ConfigMap default/istio-ca-root-cert not found; give --root-cert FILE");
}

}  // namespace
}  // namespace meshgate::onboarding

#include "discovery/kubernetes/store.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace meshgate::discovery::kube {
namespace {

Service make_service(const std::string& ns, const std::string& name, const std::string& rv,
                     uint16_t port = 80) {
  Service s;
  s.meta.ns = ns;
  s.meta.name = name;
  s.meta.resource_version = rv;
  s.cluster_ip = "10.0.0.1";
  ServicePort p;
  p.name = "http";
  p.port = port;
  s.ports.push_back(p);
  return s;
}

template <typename T>
Event<T> event(EventType type, std::optional<T> object) {
  Event<T> e;
  e.type = type;
  e.object = std::move(object);
  return e;
}

TEST(KubeStore, ReplaceSetsStateAndBumpsGeneration) {
  Store store;
  EXPECT_EQ(store.generation(), 0u);
  EXPECT_TRUE(store.replace(
      std::vector<Service>{make_service("a", "x", "1"), make_service("b", "y", "2")}));
  EXPECT_EQ(store.generation(), 1u);
  const auto& services = store.state().services;
  ASSERT_EQ(services.size(), 2u);
  ASSERT_TRUE(services.contains("a/x"));
  ASSERT_TRUE(services.contains("b/y"));
  EXPECT_EQ(services.at("a/x").cluster_ip, "10.0.0.1");
  EXPECT_EQ(services.at("a/x").meta.resource_version, "");
  EXPECT_EQ(services.at("b/y").meta.resource_version, "");
}

TEST(KubeStore, ReplaceEmptyOnEmptyIsNoChange) {
  Store store;
  EXPECT_FALSE(store.replace(std::vector<Pod>{}));
  EXPECT_EQ(store.generation(), 0u);
}

TEST(KubeStore, ReplaceWithSameItemsOtherResourceVersionsIsNoChange) {
  Store store;
  ASSERT_TRUE(store.replace(
      std::vector<Service>{make_service("a", "x", "1"), make_service("b", "y", "2")}));
  EXPECT_FALSE(store.replace(
      std::vector<Service>{make_service("b", "y", "70"), make_service("a", "x", "71")}));
  EXPECT_EQ(store.generation(), 1u);
  EXPECT_EQ(store.state().services.size(), 2u);
}

TEST(KubeStore, ReplaceWithChangedItemIsChange) {
  Store store;
  ASSERT_TRUE(store.replace(std::vector<Service>{make_service("a", "x", "1")}));
  EXPECT_TRUE(store.replace(std::vector<Service>{make_service("a", "x", "2", 8080)}));
  EXPECT_EQ(store.generation(), 2u);
  EXPECT_EQ(store.state().services.at("a/x").ports.at(0).port, 8080);
}

TEST(KubeStore, ReplaceRemovesObjectsAbsentFromTheList) {
  Store store;
  ASSERT_TRUE(store.replace(
      std::vector<Service>{make_service("a", "x", "1"), make_service("b", "y", "2")}));
  EXPECT_TRUE(store.replace(std::vector<Service>{make_service("a", "x", "1")}));
  EXPECT_EQ(store.generation(), 2u);
  EXPECT_EQ(store.state().services.size(), 1u);
  EXPECT_TRUE(store.state().services.contains("a/x"));
  EXPECT_FALSE(store.state().services.contains("b/y"));
  EXPECT_TRUE(store.replace(std::vector<Service>{}));
  EXPECT_TRUE(store.state().services.empty());
  EXPECT_EQ(store.generation(), 3u);
}

TEST(KubeStore, AddedThenModifiedWithRealChangeIsChangeEach) {
  Store store;
  EXPECT_TRUE(store.apply(event<Service>(EventType::kAdded, make_service("a", "x", "1"))));
  EXPECT_EQ(store.generation(), 1u);
  EXPECT_TRUE(store.apply(event<Service>(EventType::kModified, make_service("a", "x", "2", 9090))));
  EXPECT_EQ(store.generation(), 2u);
  const Service& stored = store.state().services.at("a/x");
  EXPECT_EQ(stored.ports.at(0).port, 9090);
  EXPECT_EQ(stored.meta.resource_version, "");
}

TEST(KubeStore, ModifiedOnlyInResourceVersionIsNoChange) {
  Store store;
  ASSERT_TRUE(store.apply(event<Service>(EventType::kAdded, make_service("a", "x", "1"))));
  EXPECT_FALSE(store.apply(event<Service>(EventType::kModified, make_service("a", "x", "2"))));
  EXPECT_FALSE(store.apply(event<Service>(EventType::kAdded, make_service("a", "x", "3"))));
  EXPECT_EQ(store.generation(), 1u);
}

TEST(KubeStore, ModifiedOfUnknownObjectInsertsIt) {
  Store store;
  EXPECT_TRUE(store.apply(event<Service>(EventType::kModified, make_service("a", "x", "5"))));
  EXPECT_TRUE(store.state().services.contains("a/x"));
  EXPECT_EQ(store.generation(), 1u);
}

TEST(KubeStore, DeletedOfKnownObjectIsChange) {
  Store store;
  ASSERT_TRUE(store.apply(event<Service>(EventType::kAdded, make_service("a", "x", "1"))));
  // The deleted object's last state may differ from the stored one: the key
  // decides.
  EXPECT_TRUE(store.apply(event<Service>(EventType::kDeleted, make_service("a", "x", "9", 1234))));
  EXPECT_TRUE(store.state().services.empty());
  EXPECT_EQ(store.generation(), 2u);
}

TEST(KubeStore, DeletedOfUnknownObjectIsNoChange) {
  Store store;
  ASSERT_TRUE(store.apply(event<Service>(EventType::kAdded, make_service("a", "x", "1"))));
  EXPECT_FALSE(store.apply(event<Service>(EventType::kDeleted, make_service("a", "z", "2"))));
  EXPECT_FALSE(store.apply(event<Service>(EventType::kDeleted, make_service("b", "x", "2"))));
  EXPECT_EQ(store.state().services.size(), 1u);
  EXPECT_EQ(store.generation(), 1u);
}

TEST(KubeStore, BookmarkAndErrorChangeNothing) {
  Store store;
  Event<Service> bookmark = event<Service>(EventType::kBookmark, make_service("a", "x", "7"));
  bookmark.resource_version = "7";
  EXPECT_FALSE(store.apply(bookmark));
  Event<Service> error = event<Service>(EventType::kError, std::nullopt);
  error.status = Status{410, "Expired", "too old resource version"};
  EXPECT_FALSE(store.apply(error));
  EXPECT_TRUE(store.state().services.empty());
  EXPECT_EQ(store.generation(), 0u);
}

TEST(KubeStore, EventWithoutObjectChangesNothing) {
  Store store;
  ASSERT_TRUE(store.apply(event<Service>(EventType::kAdded, make_service("a", "x", "1"))));
  EXPECT_FALSE(store.apply(event<Service>(EventType::kAdded, std::nullopt)));
  EXPECT_FALSE(store.apply(event<Service>(EventType::kModified, std::nullopt)));
  EXPECT_FALSE(store.apply(event<Service>(EventType::kDeleted, std::nullopt)));
  EXPECT_EQ(store.state().services.size(), 1u);
  EXPECT_EQ(store.generation(), 1u);
}

TEST(KubeStore, KeysAreNamespaceSlashNameAndNamespacesByName) {
  Store store;
  Pod pod;
  pod.meta.ns = "shop";
  pod.meta.name = "web-1";
  Namespace ns;
  ns.meta.name = "shop";
  ASSERT_TRUE(store.apply(event<Pod>(EventType::kAdded, pod)));
  ASSERT_TRUE(store.apply(event<Namespace>(EventType::kAdded, ns)));
  ASSERT_EQ(store.state().pods.size(), 1u);
  EXPECT_EQ(store.state().pods.begin()->first, "shop/web-1");
  ASSERT_EQ(store.state().namespaces.size(), 1u);
  EXPECT_EQ(store.state().namespaces.begin()->first, "shop");
}

TEST(KubeStore, SameNameInOtherNamespacesAreDistinct) {
  Store store;
  ASSERT_TRUE(store.replace(
      std::vector<Service>{make_service("a", "x", "1"), make_service("b", "x", "1")}));
  EXPECT_EQ(store.state().services.size(), 2u);
  ASSERT_TRUE(store.apply(event<Service>(EventType::kDeleted, make_service("a", "x", "2"))));
  EXPECT_FALSE(store.state().services.contains("a/x"));
  EXPECT_TRUE(store.state().services.contains("b/x"));
}

TEST(KubeStore, KindsDoNotInterfere) {
  Store store;
  ASSERT_TRUE(store.replace(std::vector<Service>{make_service("a", "x", "1")}));
  Pod pod;
  pod.meta.ns = "a";
  pod.meta.name = "x";
  EXPECT_TRUE(store.replace(std::vector<Pod>{pod}));
  EXPECT_EQ(store.generation(), 2u);
  EXPECT_EQ(store.state().services.size(), 1u);
  EXPECT_EQ(store.state().pods.size(), 1u);
  // Emptying the pods leaves the services alone, and deleting a Service
  // leaves the Pod of the same key.
  EXPECT_TRUE(store.replace(std::vector<Pod>{}));
  EXPECT_EQ(store.state().services.size(), 1u);
  ASSERT_TRUE(store.apply(event<Pod>(EventType::kAdded, pod)));
  ASSERT_TRUE(store.apply(event<Service>(EventType::kDeleted, make_service("a", "x", "2"))));
  EXPECT_TRUE(store.state().services.empty());
  EXPECT_TRUE(store.state().pods.contains("a/x"));
  EXPECT_TRUE(store.state().endpoint_slices.empty());
  EXPECT_TRUE(store.state().namespaces.empty());
}

// Every kind, through its own map: exercises each instantiation.
template <typename T>
const ObjectMap<T>& objects(const ClusterState& state);
template <>
const ObjectMap<Service>& objects(const ClusterState& s) {
  return s.services;
}
template <>
const ObjectMap<EndpointSlice>& objects(const ClusterState& s) {
  return s.endpoint_slices;
}
template <>
const ObjectMap<Pod>& objects(const ClusterState& s) {
  return s.pods;
}
template <>
const ObjectMap<Namespace>& objects(const ClusterState& s) {
  return s.namespaces;
}
template <>
const ObjectMap<ServiceEntry>& objects(const ClusterState& s) {
  return s.service_entries;
}
template <>
const ObjectMap<WorkloadEntry>& objects(const ClusterState& s) {
  return s.workload_entries;
}
template <>
const ObjectMap<DestinationRule>& objects(const ClusterState& s) {
  return s.destination_rules;
}

template <typename T>
class KubeStoreKind : public ::testing::Test {
 protected:
  static T make(const std::string& rv, const std::string& label) {
    T object;
    object.meta.name = "obj";
    if constexpr (!std::is_same_v<T, Namespace>) {
      object.meta.ns = "ns1";
    }
    object.meta.resource_version = rv;
    object.meta.labels["app"] = label;
    return object;
  }
  static std::string key() { return std::is_same_v<T, Namespace> ? "obj" : "ns1/obj"; }
};

using Kinds = ::testing::Types<Service, EndpointSlice, Pod, Namespace, ServiceEntry, WorkloadEntry,
                               DestinationRule>;
TYPED_TEST_SUITE(KubeStoreKind, Kinds);

TYPED_TEST(KubeStoreKind, ApplyAddModifyDelete) {
  using T = TypeParam;
  Store store;
  EXPECT_TRUE(store.apply(event<T>(EventType::kAdded, this->make("1", "v1"))));
  EXPECT_FALSE(store.apply(event<T>(EventType::kModified, this->make("2", "v1"))));
  EXPECT_TRUE(store.apply(event<T>(EventType::kModified, this->make("3", "v2"))));
  const auto& stored = objects<T>(store.state());
  ASSERT_EQ(stored.size(), 1u);
  ASSERT_TRUE(stored.contains(this->key()));
  EXPECT_EQ(stored.at(this->key()).meta.labels.at("app"), "v2");
  EXPECT_EQ(stored.at(this->key()).meta.resource_version, "");
  EXPECT_TRUE(store.apply(event<T>(EventType::kDeleted, this->make("4", "v2"))));
  EXPECT_TRUE(objects<T>(store.state()).empty());
  EXPECT_EQ(store.generation(), 3u);
}

TYPED_TEST(KubeStoreKind, ReplaceDetectsChangesOnly) {
  using T = TypeParam;
  Store store;
  EXPECT_TRUE(store.replace(std::vector<T>{this->make("1", "v1")}));
  EXPECT_FALSE(store.replace(std::vector<T>{this->make("2", "v1")}));
  EXPECT_TRUE(store.replace(std::vector<T>{}));
  EXPECT_TRUE(objects<T>(store.state()).empty());
  EXPECT_EQ(store.generation(), 2u);
}

}  // namespace
}  // namespace meshgate::discovery::kube

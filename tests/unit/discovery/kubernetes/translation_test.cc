// Translation (discovery/kubernetes/translation.h) against translate(): after
// every burst of random changes applied through a Store, the incremental
// result must equal a full translation of the same state, and the Store's
// ClusterIndex must equal one built from scratch. Then the cost side: which
// changes translate one Service, which translate everything, and that an
// unchanged service keeps its shared pointer.
#include "discovery/kubernetes/translation.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "discovery/kubernetes/store.h"
#include "tests/unit/discovery/kubernetes/translate_fixture.h"

namespace meshgate::discovery::kube {
namespace {

using namespace testing;  // NOLINT: the shared objects

template <typename T>
Event<T> added(T object) {
  return Event<T>{EventType::kAdded, std::move(object), "", std::nullopt};
}

template <typename T>
Event<T> deleted(T object) {
  return Event<T>{EventType::kDeleted, std::move(object), "", std::nullopt};
}

std::vector<DService> deref(const std::vector<ServicePtr>& services) {
  std::vector<DService> out;
  for (const ServicePtr& service : services)
    out.push_back(*service);
  return out;
}

// A small world that random changes keep rewriting: two namespaces, a few
// Services, slices whose endpoints name pods by targetRef or only by IP,
// pods whose IPs collide, WorkloadEntries, ServiceEntries with and without
// a selector, and DestinationRules.
class World {
 public:
  explicit World(uint32_t seed) : random_(seed) {}

  void seed(Store& store) {
    Namespace system;
    system.meta = meta("", "istio-system", {{"topology.istio.io/network", "network1"}});
    store.apply(added(system));
    for (const char* ns : {"bar", "foo"}) {
      Namespace n;
      n.meta = meta("", ns);
      store.apply(added(n));
    }
    for (int i = 0; i < 40; ++i)
      change(store);
  }

  // One random change of one random kind.
  void change(Store& store) {
    const int kind = pick(100);
    if (kind < 20) return service(store);
    if (kind < 50) return slice(store);
    if (kind < 80) return pod_change(store);
    if (kind < 88) return workload_entry(store);
    if (kind < 94) return service_entry(store);
    return destination_rule(store);
  }

 private:
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(random_); }
  std::string ns() { return pick(2) == 0 ? "bar" : "foo"; }
  std::string ip() { return "10.0.0." + std::to_string(1 + pick(12)); }
  std::string app() { return "app" + std::to_string(pick(4)); }
  Labels labels() {
    Labels out{{"app", app()}, {"version", pick(2) == 0 ? "v1" : "v2"}};
    if (pick(3) != 0) out["security.istio.io/tlsMode"] = "istio";
    if (pick(4) == 0) out["topology.istio.io/network"] = "network2";
    return out;
  }

  void service(Store& store) {
    Service svc;
    svc.meta = meta(ns(), "svc" + std::to_string(pick(5)));
    if (pick(6) == 0) return (void)store.apply(deleted(svc));
    svc.ports = {ServicePort{"http", "TCP", 8000, static_cast<uint16_t>(pick(2) ? 8080 : 0), ""}};
    if (pick(2) == 0) svc.ports.push_back(ServicePort{"tls", "TCP", 8443, 0, "tls-port"});
    if (pick(3) == 0) svc.selector = {{"app", app()}};
    if (pick(8) == 0) svc.export_to = "-";
    store.apply(added(svc));
  }

  void slice(Store& store) {
    const std::string space = ns();
    EndpointSlice s = kube::testing::slice(space, "slice" + std::to_string(pick(8)),
                                           "svc" + std::to_string(pick(5)), {});
    if (pick(6) == 0) return (void)store.apply(deleted(s));
    for (int e = pick(4); e > 0; --e) {
      SliceEndpoint ep = slice_endpoint(ip(), std::nullopt, {pick(5) != 0, true, false});
      if (pick(2) == 0)
        ep.target_ref = ObjectReference{"Pod", "pod" + std::to_string(pick(8)), space};
      s.endpoints.push_back(ep);
    }
    store.apply(added(s));
  }

  void pod_change(Store& store) {
    Pod p = pod(ns(), "pod" + std::to_string(pick(8)), ip(), labels());
    if (pick(6) == 0) return (void)store.apply(deleted(p));
    p.ready = pick(4) != 0;
    p.node_name = "node" + std::to_string(pick(2));
    p.named_ports = {{"http", 9000u + static_cast<uint32_t>(pick(2))}};
    store.apply(added(p));
  }

  void workload_entry(Store& store) {
    WorkloadEntry we =
        kube::testing::workload_entry(ns(), "we" + std::to_string(pick(4)), ip(), labels());
    if (pick(5) == 0) return (void)store.apply(deleted(we));
    store.apply(added(we));
  }

  void service_entry(Store& store) {
    ServiceEntry se;
    se.meta = meta(ns(), "se" + std::to_string(pick(3)));
    se.meta.creation_timestamp = "2026-12-0" + std::to_string(1 + pick(5)) + "T00:00:00Z";
    if (pick(5) == 0) return (void)store.apply(deleted(se));
    se.hosts = {pick(3) == 0 ? "svc" + std::to_string(pick(5)) + ".bar.svc.cluster.local"
                             : "ext" + std::to_string(pick(3)) + ".example.local"};
    se.location = "MESH_INTERNAL";
    se.ports = {IstioPort{80, "TCP", "http", 0}};
    if (pick(2) == 0) {
      se.workload_selector = Labels{{"app", app()}};
    } else {
      WorkloadEntrySpec spec;
      spec.address = ip();
      se.endpoints = {spec};
    }
    store.apply(added(se));
  }

  void destination_rule(Store& store) {
    DestinationRule dr;
    dr.meta = meta(ns(), "dr" + std::to_string(pick(3)));
    if (pick(5) == 0) return (void)store.apply(deleted(dr));
    dr.host = "svc" + std::to_string(pick(5));
    dr.subsets = {Subset{"v1", {{"version", "v1"}}, {}}};
    store.apply(added(dr));
  }

  std::mt19937 random_;
};

void expect_same_as_full(const Store& store, const SharedSourceState& got,
                         const TranslateOptions& options, const std::string& when) {
  const SourceState want = translate(store.state(), options);
  ASSERT_EQ(deref(got.services), want.services) << when;
  ASSERT_EQ(got.aliases ? *got.aliases : std::vector<HostAlias>{}, want.aliases) << when;
  ASSERT_TRUE(store.index() == index_of(store.state())) << when;
}

TEST(TranslationDifferential, EqualsAFullTranslationAfterEveryBurstOfChanges) {
  TranslateOptions options;
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    World world(seed);
    Store store;
    world.seed(store);
    Translation translation(options);
    SharedSourceState got = translation.update(store, store.take_changes());
    expect_same_as_full(store, got, options, "seed " + std::to_string(seed) + ", first");
    std::mt19937 burst(seed);
    int incremental = 0;
    for (int round = 0; round < 60; ++round) {
      for (int n = 1 + static_cast<int>(burst() % 4); n > 0; --n)
        world.change(store);
      got = translation.update(store, store.take_changes());
      incremental += translation.last_full() ? 0 : 1;
      expect_same_as_full(store, got, options,
                          "seed " + std::to_string(seed) + ", round " + std::to_string(round));
    }
    EXPECT_GT(incremental, 0) << "seed " << seed << ": every update was a full one";
  }
}

class TranslationCost : public Translate {
 protected:
  void SetUp() override {
    Translate::SetUp();
    Service other = httpbin_service("foo");
    other.meta.name = "other";
    add_service(other);
    add_slice(slice("foo", "other-1", "other", {slice_endpoint("10.2.0.1", std::nullopt)}));
    fill(store_);
    first_ = translation_.update(store_, store_.take_changes());
  }

  // Everything of state_ into `store`, as a first list would.
  void fill(Store& store) const {
    for (const auto& [k, v] : state_.namespaces)
      store.apply(added(v));
    for (const auto& [k, v] : state_.services)
      store.apply(added(v));
    for (const auto& [k, v] : state_.pods)
      store.apply(added(v));
    for (const auto& [k, v] : state_.endpoint_slices)
      store.apply(added(v));
  }

  const ServicePtr& named(const SharedSourceState& state, const std::string& name) const {
    for (const ServicePtr& service : state.services) {
      if (service->name == name) return service;
    }
    static const ServicePtr none;
    return none;
  }

  Store store_;
  Translation translation_{TranslateOptions{}};
  SharedSourceState first_;
};

TEST_F(TranslationCost, ASliceChangeTranslatesItsServiceAndSharesTheRest) {
  ASSERT_TRUE(translation_.last_full());
  store_.apply(added(slice("foo", "other-1", "other", {slice_endpoint("10.2.0.2", std::nullopt)})));
  const SharedSourceState next = translation_.update(store_, store_.take_changes());
  EXPECT_FALSE(translation_.last_full());
  EXPECT_EQ(translation_.last_translated(), 1u);
  ASSERT_NE(named(next, "other"), nullptr);
  EXPECT_EQ(named(next, "other")->endpoints.at(0).address, "10.2.0.2");
  EXPECT_NE(named(next, "other"), named(first_, "other"));
  EXPECT_EQ(named(next, "httpbin"), named(first_, "httpbin")) << "an untouched service is shared";
}

TEST_F(TranslationCost, APodLabelReachesTheServiceWhoseSliceNamesIt) {
  Pod v1 = state_.pods.at("bar/httpbin-v1-7d9f8c6b5-abcde");
  v1.meta.labels["version"] = "v3";
  store_.apply(added(v1));
  const SharedSourceState next = translation_.update(store_, store_.take_changes());
  EXPECT_FALSE(translation_.last_full());
  EXPECT_EQ(translation_.last_translated(), 1u);
  const DEndpoint* ep = endpoint(*named(next, "httpbin"), "10.1.0.11");
  ASSERT_NE(ep, nullptr);
  EXPECT_EQ(ep->labels.at("version"), "v3");
  EXPECT_EQ(named(next, "other"), named(first_, "other"));
}

TEST_F(TranslationCost, APodFoundOnlyByItsIpReachesTheService) {
  Pod by_ip = pod("foo", "other-pod", "10.2.0.1", {{"security.istio.io/tlsMode", "istio"}});
  store_.apply(added(by_ip));
  const SharedSourceState next = translation_.update(store_, store_.take_changes());
  EXPECT_FALSE(translation_.last_full());
  const DEndpoint* ep = endpoint(*named(next, "other"), "10.2.0.1");
  ASSERT_NE(ep, nullptr);
  EXPECT_TRUE(ep->mtls_capable);
}

TEST_F(TranslationCost, AChangeThatChangesNothingKeepsEveryPointer) {
  Pod v1 = state_.pods.at("bar/httpbin-v1-7d9f8c6b5-abcde");
  v1.node_name.clear();  // as it was: the store sees no change
  store_.apply(added(v1));
  v1.phase = "Succeeded";  // a field slice endpoints do not read
  store_.apply(added(v1));
  const SharedSourceState next = translation_.update(store_, store_.take_changes());
  EXPECT_EQ(next.services, first_.services);
}

// Pods with the same labels, endpoints of one slice: one map each, shared.
TEST_F(TranslationCost, EqualLabelsAndPortsAreOneObject) {
  Pod twin = pod("bar", "httpbin-v1-7d9f8c6b5-twin1", "10.1.0.14", httpbin_labels("v1"));
  store_.apply(added(twin));
  store_.apply(added(slice("bar", "httpbin-x7k2p", "httpbin",
                           {slice_endpoint("10.1.0.11", "httpbin-v1-7d9f8c6b5-abcde"),
                            slice_endpoint("10.1.0.14", "httpbin-v1-7d9f8c6b5-twin1")})));
  const SharedSourceState next = translation_.update(store_, store_.take_changes());
  const DEndpoint* one = endpoint(*named(next, "httpbin"), "10.1.0.11");
  const DEndpoint* two = endpoint(*named(next, "httpbin"), "10.1.0.14");
  ASSERT_NE(one, nullptr);
  ASSERT_NE(two, nullptr);
  EXPECT_TRUE(one->labels.shares(two->labels));
  EXPECT_TRUE(one->ports.shares(two->ports));
}

TEST_F(TranslationCost, ADestinationRuleTranslatesEverything) {
  DestinationRule dr;
  dr.meta = meta("bar", "httpbin");
  dr.host = "httpbin";
  dr.subsets = {Subset{"v1", {{"version", "v1"}}, {}}};
  store_.apply(added(dr));
  const SharedSourceState next = translation_.update(store_, store_.take_changes());
  EXPECT_TRUE(translation_.last_full());
  ASSERT_EQ(named(next, "httpbin")->subsets.size(), 1u);
  EXPECT_EQ(named(next, "other"), named(first_, "other")) << "equal after a full one: shared";
}

// A relist that changes nothing keeps the objects the index points into;
// the next change still translates from an index that matches the state.
TEST_F(TranslationCost, ARelistThatChangesNothingKeepsTheIndexValid) {
  std::vector<EndpointSlice> slices;
  std::vector<Pod> pods;
  for (const auto& [k, v] : store_.state().endpoint_slices)
    slices.push_back(v);
  for (const auto& [k, v] : store_.state().pods)
    pods.push_back(v);
  EXPECT_FALSE(store_.replace(slices));
  EXPECT_FALSE(store_.replace(pods));
  store_.apply(added(slice("foo", "other-1", "other", {slice_endpoint("10.2.0.3", std::nullopt)})));
  const SharedSourceState next = translation_.update(store_, store_.take_changes());
  EXPECT_FALSE(translation_.last_full());
  EXPECT_TRUE(store_.index() == index_of(store_.state()));
  EXPECT_EQ(deref(next.services), translate(store_.state(), {}).services);
}

TEST_F(TranslationCost, ANewStoreTranslatesEverything) {
  Store other;
  fill(other);
  other.take_changes();
  translation_.update(other, Changes{});
  EXPECT_TRUE(translation_.last_full());
}

}  // namespace
}  // namespace meshgate::discovery::kube

// kustomize_lite on the fixtures in testdata/: each feature, each refusal,
// and (where kubectl is installed) the same object sets as
// `kubectl kustomize` for the fixtures and every overlay of deploy/kubernetes.
#include "tests/deploy/kustomize_lite.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>

#include "tests/support/app_harness.h"

namespace meshgate::kustomize_lite {
namespace {

namespace fs = std::filesystem;

const std::string kTestdata = std::string(MESHGATE_SOURCE_DIR) + "/tests/deploy/testdata/";
const std::string kOverlays = std::string(MESHGATE_SOURCE_DIR) + "/deploy/kubernetes/overlays/";

std::string str(const YAML::Node& node) {
  return node.IsDefined() && node.IsScalar() ? node.Scalar() : "<" + canonical_json(node) + ">";
}

// The one object of `kind` and `name`; fails the test if there is not exactly one.
YAML::Node find(const Rendered& r, const std::string& kind, const std::string& name) {
  YAML::Node found(YAML::NodeType::Undefined);
  int count = 0;
  for (const YAML::Node& o : r.objects) {
    if (o["kind"].as<std::string>() == kind && o["metadata"]["name"].as<std::string>() == name) {
      found.reset(o);
      ++count;
    }
  }
  EXPECT_EQ(count, 1) << kind << "/" << name;
  return found;
}

Rendered render_ok(const std::string& dir) {
  Rendered r = render(kTestdata + dir);
  EXPECT_TRUE(r.ok()) << dir << ": " << r.error;
  return r;
}

void expect_error(const std::string& dir, const std::string& part) {
  const Rendered r = render(kTestdata + "errors/" + dir);
  EXPECT_FALSE(r.ok()) << dir << " rendered";
  EXPECT_NE(r.error.find(part), std::string::npos) << dir << ": '" << r.error << "'";
  EXPECT_TRUE(r.objects.empty()) << dir;
}

TEST(KustomizeLite, ResourcesAreFilesAndDirectories) {
  const Rendered r = render_ok("basic");
  EXPECT_EQ(r.objects.size(), 3u);  // the empty document between two --- is no object
  EXPECT_EQ(str(find(r, "Deployment", "web")["spec"]["replicas"]), "2");
  EXPECT_FALSE(find(r, "Service", "web")["metadata"]["namespace"].IsDefined());
  // The directory's own namespace: applied while it was rendered on its own.
  EXPECT_EQ(str(find(r, "ConfigMap", "settings")["metadata"]["namespace"]), "inner");
}

TEST(KustomizeLite, ComponentChangesWhatTheIncludingKustomizationHas) {
  const Rendered r = render_ok("overlay");
  EXPECT_EQ(r.objects.size(), 4u);
  // The component's patch reached the Deployment from ../basic.
  EXPECT_EQ(str(find(r, "Deployment", "web")["spec"]["replicas"]), "3");
  // Its own Service, with its labels and the overlay's namespace after it.
  const YAML::Node extra = find(r, "Service", "web-extra");
  EXPECT_EQ(str(extra["metadata"]["labels"]["component"]), "extra");
  EXPECT_EQ(str(extra["metadata"]["namespace"]), "outer");
  EXPECT_EQ(str(find(r, "ConfigMap", "settings")["metadata"]["labels"]["component"]), "extra");
}

TEST(KustomizeLite, PatchesRunBeforeTheNamespaceIsSet) {
  const Rendered r = render_ok("overlay");
  const YAML::Node web = find(r, "Deployment", "web");
  // The patch's target says namespace "": it matched before `namespace: outer`.
  EXPECT_EQ(canonical_json(web["spec"]["template"]["spec"]["containers"][0]["args"]),
            R"(["--port","8080"])");
  EXPECT_EQ(str(web["metadata"]["namespace"]), "outer");
  const YAML::Node service = find(r, "Service", "web");
  EXPECT_EQ(str(service["spec"]["type"]), "LoadBalancer");  // from the patch file
  EXPECT_EQ(str(service["spec"]["ports"][1]["name"]), "https");
}

TEST(KustomizeLite, JsonPatchOpsEscapesAndListPositions) {
  const Rendered r = render_ok("patches");
  const YAML::Node cm = find(r, "ConfigMap", "cm");
  EXPECT_EQ(canonical_json(cm["metadata"]["annotations"]),
            R"({"example.com/path":"new","tilde~key":"new"})");
  EXPECT_EQ(canonical_json(cm["data"]), R"({"added":"2","both":"yes","keep":"1","list":"y"})");
  EXPECT_EQ(canonical_json(cm["spec"]["items"]),
            R"([{"nested":[1,true,null]},"middle","b","c","last"])");
  // A target of kind only patches every ConfigMap.
  EXPECT_EQ(str(find(r, "ConfigMap", "other")["data"]["both"]), "yes");
}

TEST(KustomizeLite, NamespaceSkipsClusterScopedKinds) {
  const Rendered r = render_ok("namespace");
  EXPECT_FALSE(find(r, "ClusterRole", "reader")["metadata"]["namespace"].IsDefined());
  EXPECT_FALSE(find(r, "ClusterRoleBinding", "reader")["metadata"]["namespace"].IsDefined());
  EXPECT_EQ(str(find(r, "ServiceAccount", "app")["metadata"]["namespace"]), "istio-system");
  EXPECT_EQ(str(find(r, "Widget", "custom")["metadata"]["namespace"]), "istio-system");
  EXPECT_EQ(str(find(r, "RoleBinding", "reader")["metadata"]["namespace"]), "istio-system");
  // kustomize renames a Namespace object to the namespace.
  EXPECT_EQ(find(r, "Namespace", "istio-system")["kind"].as<std::string>(), "Namespace");
}

TEST(KustomizeLite, BindingSubjectsFollowTheirServiceAccount) {
  const Rendered r = render_ok("namespace");
  const YAML::Node subjects = find(r, "ClusterRoleBinding", "reader")["subjects"];
  ASSERT_EQ(subjects.size(), 3u);
  EXPECT_EQ(str(subjects[0]["namespace"]), "istio-system");  // the moved account `app`
  EXPECT_EQ(str(subjects[1]["namespace"]), "istio-system");  // "default" always moves
  EXPECT_EQ(str(subjects[2]["namespace"]), "elsewhere");     // no such account here
  EXPECT_EQ(str(find(r, "RoleBinding", "reader")["subjects"][0]["namespace"]), "istio-system");
}

TEST(KustomizeLite, LabelsGoOnMetadataAndTemplatesButNotSelectors) {
  const Rendered r = render_ok("overlay");
  const YAML::Node web = find(r, "Deployment", "web");
  EXPECT_EQ(canonical_json(web["metadata"]["labels"]),
            R"({"component":"extra","owner":"team-a","tier":"frontend"})");
  // includeTemplates only for the `tier` entry.
  EXPECT_EQ(canonical_json(web["spec"]["template"]["metadata"]["labels"]),
            R"({"app":"web","tier":"frontend"})");
  EXPECT_EQ(canonical_json(web["spec"]["selector"]), R"({"matchLabels":{"app":"web"}})");
  EXPECT_EQ(canonical_json(find(r, "Service", "web")["spec"]["selector"]), R"({"app":"web"})");
}

TEST(KustomizeLite, ImagesRetagContainersAndInitContainersAnywhere) {
  const Rendered o = render_ok("overlay");
  const YAML::Node pod = find(o, "Deployment", "web")["spec"]["template"]["spec"];
  EXPECT_EQ(str(pod["containers"][0]["image"]), "ghcr.io/example/web:2.0");  // digest dropped
  EXPECT_EQ(str(pod["initContainers"][0]["image"]), "busybox@sha256:abcd");  // tag dropped
  const Rendered r = render_ok("images");
  const YAML::Node job = find(r, "CronJob", "job")["spec"]["jobTemplate"]["spec"]["template"];
  EXPECT_EQ(str(job["spec"]["containers"][0]["image"]), "registry.example.com/meshgate:0.1.0");
  EXPECT_EQ(str(job["spec"]["containers"][1]["image"]), "meshgate-other:1");  // another name
  // Rules apply in order: renamed by the second, then given a digest by the third.
  EXPECT_EQ(str(job["spec"]["initContainers"][0]["image"]),
            "docker.io/library/busybox@sha256:ffff");
  EXPECT_EQ(str(find(r, "Pod", "pod")["spec"]["containers"][0]["image"]),
            "registry.example.com/meshgate:0.1.0");
}

TEST(KustomizeLite, CanonicalJsonSortsKeysAndResolvesPlainScalars) {
  const YAML::Node node = YAML::Load(
      "b: [1, '1', 1.50, true, 'true', ~, null, '', x]\na: {d: 0x1F, c: -7, e: +3}\nf: 1e3\n");
  EXPECT_EQ(canonical_json(node),
            R"({"a":{"c":-7,"d":31,"e":3},"b":[1,"1",1.5,true,"true",null,null,"","x"],)"
            R"("f":1000})");
  EXPECT_EQ(canonical_json(YAML::Load("\"quote\\\" and \\\\ and \\n\"")),
            R"("quote\" and \\ and \u000a")");
}

TEST(KustomizeLiteErrors, UnsupportedKeysAreNamed) {
  expect_error("unknown-key", "unsupported key 'configMapGenerator'");
  expect_error("vars", "unsupported key 'vars'");
  expect_error("target-selector", "unsupported key 'labelSelector'");
}

TEST(KustomizeLiteErrors, StrategicMergePatch) {
  expect_error("strategic-merge", "strategic-merge patches are not supported");
}

TEST(KustomizeLiteErrors, PatchTargetMatchingNothing) {
  expect_error("no-target", "patch target ConfigMap/typo matches nothing");
}

TEST(KustomizeLiteErrors, PatchOpsThatDoNotApply) {
  expect_error("bad-op", "unsupported op 'move'");
  expect_error("failed-test", "test /data/keep: test failed");
  expect_error("missing-path", "remove /data/absent: no member 'absent'");
}

TEST(KustomizeLiteErrors, IncludeSelectorsTrue) {
  expect_error("include-selectors", "includeSelectors true");
}

TEST(KustomizeLiteErrors, ComponentsAndKustomizationsInTheWrongPlace) {
  expect_error("component-as-resource", "components belong under components:");
  expect_error("kustomization-as-component", "a component needs kind Component");
}

TEST(KustomizeLiteErrors, ResourcesThatCannotBeRead) {
  expect_error("missing-resource", "absent.yaml: no such resource");
  expect_error("outside-file", "not in or below");
  expect_error("remote", "remote resources unsupported");
  expect_error("bad-yaml", "broken.yaml");
  expect_error("duplicate", "two objects with id v1 ConfigMap /cm");
}

TEST(KustomizeLiteErrors, NestingIsBounded) {
  expect_error("self-include", "nested deeper than 10");
}

TEST(KustomizeLiteErrors, NoKustomizationAndOversizedFiles) {
  testing::TempDir dir;
  EXPECT_NE(render(dir.path()).error.find("no kustomization.yaml"), std::string::npos);
  dir.write("kustomization.yaml", "resources: [big.yaml]\n");
  dir.write("big.yaml", "# " + std::string(1 << 20, 'x') + "\n");
  const Rendered r = render(dir.path());
  EXPECT_NE(r.error.find("big.yaml: larger than 1 MiB"), std::string::npos) << r.error;
}

// ---- Cross-check against kubectl kustomize.

constexpr std::size_t kMaxKubectlOutput = 8 << 20;

// Runs `command`; its standard output (bounded) or nullopt when it failed.
std::optional<std::string> run(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return std::nullopt;
  std::string out;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0 && out.size() < kMaxKubectlOutput) {
    out.append(buffer, n);
  }
  const int status = pclose(pipe);
  if (status != 0 || out.size() >= kMaxKubectlOutput) return std::nullopt;
  return out;
}

// kind/namespace/name -> canonical JSON.
using ObjectSet = std::map<std::string, std::string>;

void add(ObjectSet& set, const YAML::Node& o) {
  const std::string key = str(o["kind"]) + "/" +
                          (o["metadata"]["namespace"] ? str(o["metadata"]["namespace"]) : "") +
                          "/" + str(o["metadata"]["name"]);
  EXPECT_TRUE(set.emplace(key, canonical_json(o)).second) << "twice: " << key;
}

void expect_same_as_kubectl(const std::string& dir) {
  SCOPED_TRACE(dir);
  ASSERT_EQ(dir.find('\''), std::string::npos);
  const auto output = run("kubectl kustomize '" + dir + "' 2>/dev/null");
  const Rendered mine = render(dir);
  ASSERT_TRUE(output.has_value()) << "kubectl kustomize failed; ours: " << mine.error;
  ASSERT_TRUE(mine.ok()) << mine.error;
  ObjectSet theirs, ours;
  for (const YAML::Node& o : YAML::LoadAll(*output))
    add(theirs, o);
  for (const YAML::Node& o : mine.objects)
    add(ours, o);
  for (const auto& [key, json] : theirs) {
    EXPECT_EQ(ours.contains(key) ? ours.at(key) : "<missing>", json) << key;
  }
  for (const auto& [key, json] : ours)
    EXPECT_TRUE(theirs.contains(key)) << "extra: " << key;
}

TEST(KustomizeLiteCrossCheck, SameObjectsAsKubectlKustomize) {
  if (!run("command -v kubectl >/dev/null 2>&1 && kubectl kustomize --help >/dev/null 2>&1")) {
    GTEST_SKIP() << "kubectl is not on PATH (or has no kustomize): cross-check not run";
  }
  for (const char* dir : {"basic", "overlay", "namespace", "patches", "images"}) {
    expect_same_as_kubectl(kTestdata + dir);
  }
  std::error_code ec;
  int overlays = 0;
  for (const auto& entry : fs::directory_iterator(kOverlays, ec)) {
    if (!entry.is_directory()) continue;
    expect_same_as_kubectl(entry.path().string());
    ++overlays;
  }
  EXPECT_GE(overlays, 3) << "overlays under " << kOverlays;
}

}  // namespace
}  // namespace meshgate::kustomize_lite

#include "tests/deploy/kustomize_lite.h"

#include <algorithm>
#include <map>
#include <set>

#include "tests/deploy/kustomize_lite_detail.h"

namespace meshgate::kustomize_lite {
namespace {

using namespace detail;  // NOLINT(google-build-using-namespace): this library's own internals

Error parse_all(const fs::path& path, std::vector<YAML::Node>& docs) {
  std::string text;
  if (Error e = read_file(path, text); !e.empty()) return e;
  try {
    docs = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    return path.string() + ": " + e.what();
  }
  return {};
}

Error load_objects(const fs::path& path, Objects& objects) {
  std::vector<YAML::Node> docs;
  if (Error e = parse_all(path, docs); !e.empty()) return e;
  for (const YAML::Node& doc : docs) {
    if (doc.IsNull()) continue;  // an empty document between two ---
    if (!doc.IsMap()) return path.string() + ": a document is not a map";
    if (kind_of(doc).empty() || name_of(doc).empty()) {
      return path.string() + ": a document lacks kind or metadata.name";
    }
    if (kind_of(doc) == "List") return path.string() + ": kind List is not supported";
    objects.push_back({doc, namespace_of(doc)});
  }
  return {};
}

Error find_kustomization(const fs::path& dir, fs::path& file) {
  int found = 0;
  for (const char* name : {"kustomization.yaml", "kustomization.yml", "Kustomization"}) {
    std::error_code ec;
    if (fs::is_regular_file(dir / name, ec)) {
      file = dir / name;
      ++found;
    }
  }
  if (found == 0) return dir.string() + ": no kustomization.yaml";
  if (found > 1) return dir.string() + ": more than one kustomization file";
  return {};
}

Error load_kustomization(const fs::path& dir, bool component, YAML::Node& doc) {
  fs::path file;
  if (Error e = find_kustomization(dir, file); !e.empty()) return e;
  std::vector<YAML::Node> docs;
  if (Error e = parse_all(file, docs); !e.empty()) return e;
  if (docs.size() != 1 || !docs[0].IsMap()) return file.string() + ": expected one map";
  doc.reset(docs[0]);
  std::string kind = scalar(get(doc, "kind"));
  if (kind.empty()) kind = "Kustomization";
  if (component && kind != "Component") return file.string() + ": a component needs kind Component";
  if (!component && kind != "Kustomization") {
    return file.string() + ": kind " + kind + " here; components belong under components:";
  }
  return check_keys(doc,
                    {"apiVersion", "kind", "metadata", "resources", "components", "namespace",
                     "labels", "patches", "images"},
                    file.string());
}

// ---- Resource ids: kustomize refuses two objects with one id.

Error check_unique(const Objects& objects, const fs::path& dir) {
  std::set<std::string> ids;
  for (const auto& [o, unused] : objects) {
    const std::string id =
        scalar(get(o, "apiVersion")) + " " + kind_of(o) + " " + namespace_of(o) + "/" + name_of(o);
    if (!ids.insert(id).second) return dir.string() + ": two objects with id " + id;
  }
  return {};
}

// ---- namespace.

bool cluster_scoped(const std::string& kind) {
  static const std::set<std::string> kinds{"Namespace",
                                           "Node",
                                           "PersistentVolume",
                                           "ClusterRole",
                                           "ClusterRoleBinding",
                                           "StorageClass",
                                           "CustomResourceDefinition",
                                           "APIService",
                                           "MutatingWebhookConfiguration",
                                           "ValidatingWebhookConfiguration",
                                           "ValidatingAdmissionPolicy",
                                           "ValidatingAdmissionPolicyBinding",
                                           "PriorityClass",
                                           "CSIDriver",
                                           "CSINode",
                                           "RuntimeClass",
                                           "VolumeAttachment",
                                           "CertificateSigningRequest",
                                           "ComponentStatus",
                                           "IngressClass",
                                           "PodSecurityPolicy",
                                           "FlowSchema",
                                           "PriorityLevelConfiguration",
                                           "ClusterTrustBundle"};
  return kinds.contains(kind);
}

void set_namespace(const std::string& ns, Objects& objects) {
  for (auto& [object, unused] : objects) {
    YAML::Node metadata = get(object, "metadata");
    const std::string kind = kind_of(object);
    // kustomize renames core Namespace objects to the namespace.
    if (kind == "Namespace" && scalar(get(object, "apiVersion")) == "v1")
      metadata["name"] = YAML::Node(ns);
    if (!cluster_scoped(kind)) metadata["namespace"] = YAML::Node(ns);
    if (kind != "RoleBinding" && kind != "ClusterRoleBinding") continue;
    // kustomize's defaultOnly rule: only subjects named "default" move.
    const YAML::Node subjects = get(object, "subjects");
    if (!subjects.IsDefined() || !subjects.IsSequence()) continue;
    for (auto subject : subjects) {
      if (subject.IsMap() && scalar(get(subject, "name")) == "default")
        subject["namespace"] = YAML::Node(ns);
    }
  }
}

// ---- labels.

std::vector<std::vector<std::string>> template_label_paths(const std::string& kind) {
  static const std::set<std::string> workloads{
      "Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "ReplicationController", "Job"};
  if (workloads.contains(kind)) return {{"spec", "template", "metadata", "labels"}};
  if (kind == "CronJob") {
    return {{"spec", "jobTemplate", "metadata", "labels"},
            {"spec", "jobTemplate", "spec", "template", "metadata", "labels"}};
  }
  return {};
}

Error add_pairs(YAML::Node object, const std::vector<std::string>& path, const YAML::Node& pairs) {
  YAML::Node labels = ensure_map(object, path);
  if (!labels.IsDefined()) return describe(object) + ": a non-map on the way to the labels";
  for (const auto& pair : pairs)
    labels[pair.first.Scalar()] = YAML::Node(pair.second.Scalar());
  return {};
}

Error apply_label_entry(const YAML::Node& entry, Objects& objects) {
  const std::string where = "labels";
  if (Error e = check_keys(entry, {"pairs", "includeSelectors", "includeTemplates"}, where);
      !e.empty()) {
    return e;
  }
  if (scalar(get(entry, "includeSelectors")) == "true") return "labels: includeSelectors true";
  const bool templates = scalar(get(entry, "includeTemplates")) == "true";
  const YAML::Node pairs = get(entry, "pairs");
  if (!pairs.IsDefined() || !pairs.IsMap()) return "labels: pairs must be a map";
  for (const auto& pair : pairs) {
    if (!pair.first.IsScalar() || !pair.second.IsScalar()) return "labels: pairs of strings";
  }
  for (auto& [object, unused] : objects) {
    if (Error e = add_pairs(object, {"metadata", "labels"}, pairs); !e.empty()) return e;
    if (!templates) continue;
    for (const auto& path : template_label_paths(kind_of(object))) {
      if (Error e = add_pairs(object, path, pairs); !e.empty()) return e;
    }
  }
  return {};
}

// ---- images.

struct ImageRule {
  std::string name, new_name, new_tag, digest;
};

// "registry:5000/repo/name:tag@digest" -> name part, tag, digest.
void split_image(const std::string& image, std::string& name, std::string& tag,
                 std::string& digest) {
  const auto at = image.find('@');
  digest = at == std::string::npos ? "" : image.substr(at + 1);
  name = image.substr(0, at);
  const auto colon = name.rfind(':');
  const auto slash = name.rfind('/');
  tag.clear();
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    tag = name.substr(colon + 1);
    name.resize(colon);
  }
}

std::string retag(const std::string& image, const ImageRule& rule) {
  std::string name, tag, digest;
  split_image(image, name, tag, digest);
  if (name != rule.name) return image;
  if (!rule.new_name.empty()) name = rule.new_name;
  // A new tag or digest replaces both the old tag and the old digest.
  if (!rule.new_tag.empty() || !rule.digest.empty()) {
    tag = rule.new_tag;
    digest = rule.digest;
  }
  return name + (tag.empty() ? "" : ":" + tag) + (digest.empty() ? "" : "@" + digest);
}

void retag_containers(const YAML::Node& containers, const ImageRule& rule) {
  for (auto container : containers) {
    const YAML::Node image = get(container, "image");
    if (image.IsDefined() && image.IsScalar())
      container["image"] = YAML::Node(retag(image.Scalar(), rule));
  }
}

// kustomize retags every containers[] / initContainers[] list, at any depth.
void visit_containers(const YAML::Node& node, const ImageRule& rule, int depth) {
  if (depth > kMaxTreeDepth) return;
  if (node.IsSequence()) {
    for (const auto& item : node)
      visit_containers(item, rule, depth + 1);
  }
  if (!node.IsMap()) return;
  for (const auto& entry : node) {
    const std::string key = scalar(entry.first);
    if ((key == "containers" || key == "initContainers") && entry.second.IsSequence()) {
      retag_containers(entry.second, rule);
    } else {
      visit_containers(entry.second, rule, depth + 1);
    }
  }
}

Error apply_images(const YAML::Node& list, Objects& objects) {
  if (!list.IsDefined() || list.IsNull()) return {};
  if (!list.IsSequence()) return "images: expected a list";
  for (const auto& entry : list) {
    if (Error e = check_keys(entry, {"name", "newName", "newTag", "digest"}, "images");
        !e.empty()) {
      return e;
    }
    const ImageRule rule{scalar(get(entry, "name")), scalar(get(entry, "newName")),
                         scalar(get(entry, "newTag")), scalar(get(entry, "digest"))};
    if (rule.name.empty()) return "images: an entry without a name";
    for (const auto& [object, unused] : objects)
      visit_containers(object, rule, 0);
  }
  return {};
}

// ---- The kustomization itself.

Error accumulate(const fs::path& dir, bool component, int depth, Objects& objects);

Error add_resources(const fs::path& dir, const YAML::Node& doc, int depth, Objects& objects) {
  std::vector<std::string> entries;
  if (Error e = string_list(get(doc, "resources"), dir.string() + ": resources", entries);
      !e.empty()) {
    return e;
  }
  for (const std::string& entry : entries) {
    const fs::path path = dir / entry;
    std::error_code ec;
    if (entry.find("://") != std::string::npos) return entry + ": remote resources unsupported";
    if (fs::is_directory(path, ec)) {
      Objects sub;
      if (Error e = accumulate(path, false, depth + 1, sub); !e.empty()) return e;
      objects.insert(objects.end(), sub.begin(), sub.end());
      continue;
    }
    if (!fs::is_regular_file(path, ec)) return path.string() + ": no such resource";
    if (Error e = check_within(dir, path); !e.empty()) return e;
    if (Error e = load_objects(path, objects); !e.empty()) return e;
  }
  return {};
}

Error add_components(const fs::path& dir, const YAML::Node& doc, int depth, Objects& objects) {
  std::vector<std::string> entries;
  if (Error e = string_list(get(doc, "components"), dir.string() + ": components", entries);
      !e.empty()) {
    return e;
  }
  for (const std::string& entry : entries) {
    std::error_code ec;
    if (!fs::is_directory(dir / entry, ec)) return (dir / entry).string() + ": not a directory";
    if (Error e = accumulate(dir / entry, true, depth + 1, objects); !e.empty()) return e;
  }
  return {};
}

Error transform(const fs::path& dir, const YAML::Node& doc, Objects& objects) {
  if (Error e = apply_patches(dir, get(doc, "patches"), objects); !e.empty()) return e;
  const YAML::Node ns = get(doc, "namespace");
  if (ns.IsDefined() && !ns.IsNull()) {
    if (scalar(ns).empty()) return dir.string() + ": namespace must be a string";
    set_namespace(scalar(ns), objects);
  }
  const YAML::Node labels = get(doc, "labels");
  if (labels.IsDefined() && !labels.IsNull()) {
    if (!labels.IsSequence()) return "labels: expected a list";
    for (const auto& entry : labels) {
      if (Error e = apply_label_entry(entry, objects); !e.empty()) return e;
    }
  }
  return apply_images(get(doc, "images"), objects);
}

// Resources, then components (which see and change everything so far), then
// this kustomization's transformers over the lot.
Error accumulate(const fs::path& dir, bool component, int depth, Objects& objects) {
  if (depth > kMaxDepth) return dir.string() + ": kustomizations nested deeper than 10";
  YAML::Node doc;
  if (Error e = load_kustomization(dir, component, doc); !e.empty()) return e;
  if (Error e = add_resources(dir, doc, depth, objects); !e.empty()) return e;
  if (Error e = add_components(dir, doc, depth, objects); !e.empty()) return e;
  if (Error e = check_unique(objects, dir); !e.empty()) return e;
  if (Error e = transform(dir, doc, objects); !e.empty()) return dir.string() + ": " + e;
  return {};
}

// ---- kustomize's name-reference fix-up, run once on the final result: a
// RoleBinding/ClusterRoleBinding subject naming a ServiceAccount that a
// namespace transformer moved follows it. As kustomize, the subject's kind
// is not checked; a subject namespace picks candidates by their original
// namespace (empty counts as "default"), then by their current one.

std::vector<const Object*> subject_candidates(const Objects& objects, const YAML::Node& subject) {
  const std::string name = scalar(get(subject, "name"));
  const YAML::Node ns = get(subject, "namespace");
  std::vector<const Object*> by_original, by_current, all;
  for (const Object& o : objects) {
    if (kind_of(o.node) != "ServiceAccount" || name_of(o.node) != name) continue;
    all.push_back(&o);
    const std::string original = o.original_ns.empty() ? "default" : o.original_ns;
    if (ns.IsDefined() && original == scalar(ns)) by_original.push_back(&o);
    if (ns.IsDefined() && namespace_of(o.node) == scalar(ns)) by_current.push_back(&o);
  }
  if (!ns.IsDefined()) return all;
  return by_original.empty() ? by_current : by_original;
}

Error fix_subject_namespaces(const Objects& objects) {
  for (const auto& [object, unused] : objects) {
    const std::string kind = kind_of(object);
    const YAML::Node subjects = get(object, "subjects");
    if ((kind != "RoleBinding" && kind != "ClusterRoleBinding") || !subjects.IsDefined() ||
        !subjects.IsSequence()) {
      continue;
    }
    for (auto subject : subjects) {
      const auto candidates = subject_candidates(objects, subject);
      if (candidates.size() > 1) return describe(object) + ": a subject names several accounts";
      if (candidates.empty()) continue;
      const std::string ns = namespace_of(candidates[0]->node);
      if (ns != candidates[0]->original_ns && !ns.empty()) subject["namespace"] = YAML::Node(ns);
    }
  }
  return {};
}

}  // namespace

Rendered render(const std::string& dir) {
  Rendered rendered;
  try {
    Objects objects;
    rendered.error = accumulate(dir, false, 0, objects);
    if (rendered.ok()) rendered.error = fix_subject_namespaces(objects);
    for (const auto& [node, unused] : objects)
      rendered.objects.push_back(node);
  } catch (const std::exception& e) {  // yaml-cpp throws on misuse; a test reports it
    rendered.error = std::string("unexpected: ") + e.what();
  }
  if (!rendered.ok()) rendered.objects.clear();
  return rendered;
}

}  // namespace meshgate::kustomize_lite

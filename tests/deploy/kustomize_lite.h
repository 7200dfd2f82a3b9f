// A renderer of the few kustomize (v5) features deploy/kubernetes uses, so
// that tests can read the manifests as the cluster would get them without
// needing kubectl:
//
//   resources   files (one or more YAML documents) or directories with a
//               kustomization, rendered on their own and appended
//   components  directories whose kustomization has kind: Component, applied
//               to everything the including kustomization has so far
//   patches     JSON 6902 only (add, remove, replace, test), from `path:` or
//               inline `patch:`, with a `target:` of kind, name and optionally
//               group, version, namespace (exact matches)
//   namespace   metadata.namespace of namespaced objects; the name of
//               Namespace objects; RoleBinding/ClusterRoleBinding subjects
//               named "default" (kustomize's defaultOnly rule); and, once at
//               the end as kustomize's name-reference fix-up does, subjects
//               naming a ServiceAccount that a namespace moved follow it
//   labels      pairs on metadata.labels; includeTemplates: also on the pod
//               templates of workloads; includeSelectors must be false
//   images      name -> newName / newTag / digest on every containers[] and
//               initContainers[] image
//
// Transformers run in kustomize's order: patches, namespace, labels, images.
// Anything else in a kustomization is an error naming the key: a test must
// never pass on a silently under-rendered manifest. Deliberately stricter
// than kustomize: a patch whose target matches nothing is an error (kustomize
// v5.5 skips it), since in our manifests that is always a typo.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

namespace meshgate::kustomize_lite {

struct Rendered {
  std::vector<YAML::Node> objects;  // in accumulation order
  std::string error;                // non-empty: objects is empty
  bool ok() const { return error.empty(); }
};

// Renders the kustomization in `dir` (kustomization.yaml, .yml or
// Kustomization). Files over 1 MiB and nesting deeper than 10 are refused.
Rendered render(const std::string& dir);

// `node` as compact JSON with map keys sorted and plain scalars resolved as
// YAML 1.2's core schema does (null, bool, int, float, else string; quoted
// scalars are strings), so that two renderings compare as strings.
std::string canonical_json(const YAML::Node& node);

}  // namespace meshgate::kustomize_lite

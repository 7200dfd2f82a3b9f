// Internals of kustomize_lite shared by its files: the object list, errors as
// strings, the YAML helpers and bounded file reads. Not for tests' use.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace meshgate::kustomize_lite::detail {

namespace fs = std::filesystem;

// An object and the namespace it was written with, which kustomize's
// name-reference fix-up matches subjects against.
struct Object {
  YAML::Node node;
  std::string original_ns;
};
using Objects = std::vector<Object>;
using Error = std::string;  // "" when all went well

inline constexpr std::size_t kMaxFileBytes = 1 << 20;
inline constexpr int kMaxDepth = 10;       // kustomization nesting
inline constexpr int kMaxTreeDepth = 200;  // YAML nesting we walk recursively

// yaml-cpp handles share nodes: a Node returned here refers to the node
// inside the document, and assigning to it changes the document. Navigation
// therefore uses reset(), never operator=. Values we set are fresh nodes
// (`YAML::Node(text)`, tag "") so that they read back as strings, as
// kustomize writes them.
YAML::Node undefined();
// The value of `key` in map `node` without creating it; undefined if absent.
YAML::Node get(const YAML::Node& node, const std::string& key);
std::string scalar(const YAML::Node& node);
// The `index`th item of a sequence (a handle into it), or undefined.
YAML::Node element(const YAML::Node& sequence, std::size_t index);
// The map at `keys` below `node`, made where missing; undefined when
// something that is not a map is in the way.
YAML::Node ensure_map(YAML::Node node, const std::vector<std::string>& keys);
std::string group_of(const YAML::Node& object);
std::string version_of(const YAML::Node& object);
std::string kind_of(const YAML::Node& o);
std::string name_of(const YAML::Node& o);
std::string namespace_of(const YAML::Node& o);
std::string describe(const YAML::Node& o);  // "Kind/name"
// Checks that `node`, if present, is a map whose keys are all in `allowed`.
Error check_keys(const YAML::Node& node, const std::set<std::string>& allowed,
                 const std::string& where);
Error string_list(const YAML::Node& node, const std::string& where, std::vector<std::string>& out);

// At most kMaxFileBytes.
Error read_file(const fs::path& path, std::string& out);
// kustomize's default load restriction: a file must be in or below the
// kustomization's directory.
Error check_within(const fs::path& root, const fs::path& file);

// The kustomization's `patches` (JSON 6902 only) applied to `objects`.
Error apply_patches(const fs::path& dir, const YAML::Node& list, Objects& objects);

}  // namespace meshgate::kustomize_lite::detail

// kustomize_lite's YAML helpers and file reads.
#include <algorithm>
#include <fstream>

#include "tests/deploy/kustomize_lite_detail.h"

namespace meshgate::kustomize_lite::detail {

// refers to the node inside the document, and assigning to it changes the
// document. Navigation therefore uses reset(), never operator=. Values we
// set are fresh nodes (`YAML::Node(text)`, tag "") so that they read back as
// strings, as kustomize writes them; assigning a std::string would keep the
// old node's tag.

YAML::Node undefined() {
  return YAML::Node(YAML::NodeType::Undefined);
}

// The value of `key` in map `node` without creating it; undefined if absent.
YAML::Node get(const YAML::Node& node, const std::string& key) {
  if (!node.IsDefined() || !node.IsMap()) return undefined();
  for (const auto& entry : node) {
    if (entry.first.IsScalar() && entry.first.Scalar() == key) return entry.second;
  }
  return undefined();
}

std::string scalar(const YAML::Node& node) {
  return node.IsDefined() && node.IsScalar() ? node.Scalar() : "";
}

// The map at `keys` below `node`, made where missing (kustomize's create:
// true); undefined when something that is not a map is in the way.
YAML::Node ensure_map(YAML::Node node, const std::vector<std::string>& keys) {
  for (const std::string& key : keys) {
    YAML::Node child = get(node, key);
    if (!child.IsDefined() || child.IsNull()) {
      node[key] = YAML::Node(YAML::NodeType::Map);
      child.reset(get(node, key));
    }
    if (!child.IsMap()) return undefined();
    node.reset(child);
  }
  return node;
}

std::string group_of(const YAML::Node& object) {
  const std::string api_version = scalar(get(object, "apiVersion"));
  const auto slash = api_version.find('/');
  return slash == std::string::npos ? "" : api_version.substr(0, slash);
}

std::string version_of(const YAML::Node& object) {
  const std::string api_version = scalar(get(object, "apiVersion"));
  return api_version.substr(api_version.find('/') + 1);
}

std::string kind_of(const YAML::Node& o) {
  return scalar(get(o, "kind"));
}
std::string name_of(const YAML::Node& o) {
  return scalar(get(get(o, "metadata"), "name"));
}
std::string namespace_of(const YAML::Node& o) {
  return scalar(get(get(o, "metadata"), "namespace"));
}
std::string describe(const YAML::Node& o) {
  return kind_of(o) + "/" + name_of(o);
}

// Checks that `node`, if present, is a map whose keys are all in `allowed`.
Error check_keys(const YAML::Node& node, const std::set<std::string>& allowed,
                 const std::string& where) {
  if (!node.IsDefined() || node.IsNull()) return {};
  if (!node.IsMap()) return where + ": expected a map";
  for (const auto& entry : node) {
    const std::string key = scalar(entry.first);
    if (!allowed.contains(key)) return where + ": unsupported key '" + key + "'";
  }
  return {};
}

Error string_list(const YAML::Node& node, const std::string& where, std::vector<std::string>& out) {
  if (!node.IsDefined() || node.IsNull()) return {};
  if (!node.IsSequence()) return where + ": expected a list";
  for (const auto& item : node) {
    if (!item.IsScalar() || item.Scalar().empty()) return where + ": expected strings";
    out.push_back(item.Scalar());
  }
  return {};
}

// ---- Files.

Error read_file(const fs::path& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return path.string() + ": cannot open";
  out.assign(kMaxFileBytes + 1, '\0');
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  out.resize(static_cast<std::size_t>(in.gcount()));
  if (out.size() > kMaxFileBytes) return path.string() + ": larger than 1 MiB";
  return {};
}

// kustomize's default load restriction: a file must be in or below the
// kustomization's directory (directories may be anywhere).
Error check_within(const fs::path& root, const fs::path& file) {
  std::error_code ec;
  const fs::path base = fs::weakly_canonical(root, ec);
  const fs::path target = fs::weakly_canonical(file, ec);
  if (ec) return file.string() + ": " + ec.message();
  const auto [end, unused] = std::mismatch(base.begin(), base.end(), target.begin(), target.end());
  if (end != base.end()) return file.string() + ": not in or below " + root.string();
  return {};
}

YAML::Node element(const YAML::Node& sequence, std::size_t index) {
  std::size_t i = 0;
  for (const auto& item : sequence) {
    if (i++ == index) return item;
  }
  return undefined();
}

}  // namespace meshgate::kustomize_lite::detail

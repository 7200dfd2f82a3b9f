// kustomize_lite's JSON 6902 patches (RFC 6902 on YAML nodes; JSON
// pointers, RFC 6901), each with a target of kind, name and optionally group,
// version, namespace.
#include <charconv>

#include "tests/deploy/kustomize_lite.h"
#include "tests/deploy/kustomize_lite_detail.h"

namespace meshgate::kustomize_lite::detail {
namespace {

Error parse_pointer(const std::string& pointer, std::vector<std::string>& tokens) {
  if (pointer.empty() || pointer[0] != '/') return "path '" + pointer + "' is not below the root";
  std::string token;
  for (std::size_t i = 1; i <= pointer.size(); ++i) {
    if (i == pointer.size() || pointer[i] == '/') {
      tokens.push_back(token);
      token.clear();
    } else if (pointer[i] == '~') {
      if (i + 1 >= pointer.size() || (pointer[i + 1] != '0' && pointer[i + 1] != '1')) {
        return "path '" + pointer + "' has a bad ~ escape";
      }
      token += pointer[++i] == '0' ? '~' : '/';
    } else {
      token += pointer[i];
    }
  }
  return {};
}

// A decimal array index without leading zeros, at most `limit`.
bool parse_index(const std::string& token, std::size_t limit, std::size_t& index) {
  if (token.empty() || (token.size() > 1 && token[0] == '0')) return false;
  const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), index);
  return ec == std::errc() && end == token.data() + token.size() && index <= limit;
}

// The node at the first `count` tokens, or undefined.
YAML::Node walk(YAML::Node node, const std::vector<std::string>& tokens, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    YAML::Node child = undefined();
    std::size_t index = 0;
    if (node.IsMap()) child.reset(get(node, tokens[i]));
    if (node.IsSequence() && parse_index(tokens[i], node.size() - 1, index)) {
      child.reset(element(node, index));
    }
    if (!child.IsDefined()) return undefined();
    node.reset(child);
  }
  return node;
}

// Sequence `seq` rebuilt in place: `value` inserted at `index`, or the item
// at `index` dropped when `value` is undefined.
void splice(YAML::Node seq, std::size_t index, const YAML::Node& value) {
  YAML::Node rebuilt(YAML::NodeType::Sequence);
  std::size_t i = 0;
  for (const auto& item : seq) {
    if (i == index && value.IsDefined()) rebuilt.push_back(YAML::Clone(value));
    if (i++ != index || value.IsDefined()) rebuilt.push_back(item);
  }
  if (index == i && value.IsDefined()) rebuilt.push_back(YAML::Clone(value));
  seq = rebuilt;  // assignment through the handle: the document sees it
}

Error apply_to_map(YAML::Node map, const std::string& op, const std::string& key,
                   const YAML::Node& value) {
  const YAML::Node existing = get(map, key);
  if (op != "add" && !existing.IsDefined()) return "no member '" + key + "'";
  if (op == "test") return canonical_json(existing) == canonical_json(value) ? "" : "test failed";
  if (op == "remove") {
    map.remove(key);
  } else {
    map[key] = YAML::Clone(value);
  }
  return {};
}

Error apply_to_sequence(YAML::Node seq, const std::string& op, const std::string& token,
                        const YAML::Node& value) {
  const std::size_t size = seq.size();
  std::size_t index = size;
  const bool append = op == "add" && token == "-";
  if (!append && !parse_index(token, op == "add" ? size : size - 1, index)) {
    return "bad index '" + token + "'";
  }
  if (size == 0 && op != "add") return "index '" + token + "' in an empty list";
  if (op == "add") {
    splice(seq, index, value);
  } else if (op == "remove") {
    splice(seq, index, undefined());
  } else if (op == "test") {
    return canonical_json(element(seq, index)) == canonical_json(value) ? "" : "test failed";
  } else {
    YAML::Node item = element(seq, index);
    item = YAML::Clone(value);
  }
  return {};
}

Error apply_op(YAML::Node object, const YAML::Node& op_node) {
  const std::string op = scalar(get(op_node, "op"));
  const std::string path = scalar(get(op_node, "path"));
  if (op != "add" && op != "remove" && op != "replace" && op != "test") {
    return "unsupported op '" + op + "'";
  }
  if (Error e = check_keys(op_node, {"op", "path", "value"}, "patch op"); !e.empty()) return e;
  const YAML::Node value = get(op_node, "value");
  if (op != "remove" && !value.IsDefined()) return op + " " + path + ": no value";
  std::vector<std::string> tokens;
  if (Error e = parse_pointer(path, tokens); !e.empty()) return e;
  const YAML::Node parent = walk(object, tokens, tokens.size() - 1);
  Error e = "parent not found";
  if (parent.IsDefined() && parent.IsMap()) e = apply_to_map(parent, op, tokens.back(), value);
  if (parent.IsDefined() && parent.IsSequence()) {
    e = apply_to_sequence(parent, op, tokens.back(), value);
  }
  return e.empty() ? e : op + " " + path + ": " + e;
}

struct Target {
  std::string kind, name, group, version, ns;
  bool has_ns = false, has_group = false, has_version = false;
};

Error parse_target(const YAML::Node& node, Target& t) {
  if (!node.IsDefined() || !node.IsMap()) return "a JSON 6902 patch needs a target";
  if (Error e = check_keys(node, {"kind", "name", "group", "version", "namespace"}, "target");
      !e.empty()) {
    return e;
  }
  t.kind = scalar(get(node, "kind"));
  t.name = scalar(get(node, "name"));
  t.has_group = get(node, "group").IsDefined();
  t.group = scalar(get(node, "group"));
  t.has_version = get(node, "version").IsDefined();
  t.version = scalar(get(node, "version"));
  t.has_ns = get(node, "namespace").IsDefined();
  t.ns = scalar(get(node, "namespace"));
  return {};
}

bool matches(const Target& t, const YAML::Node& o) {
  return (t.kind.empty() || t.kind == kind_of(o)) && (t.name.empty() || t.name == name_of(o)) &&
         (!t.has_group || t.group == group_of(o)) &&
         (!t.has_version || t.version == version_of(o)) && (!t.has_ns || t.ns == namespace_of(o));
}

Error patch_text(const fs::path& dir, const YAML::Node& entry, std::string& text) {
  const YAML::Node path = get(entry, "path");
  const YAML::Node inline_patch = get(entry, "patch");
  if (path.IsDefined() == inline_patch.IsDefined()) return "a patch needs one of path, patch";
  if (inline_patch.IsDefined()) {
    text = scalar(inline_patch);
    return {};
  }
  if (Error e = check_within(dir, dir / scalar(path)); !e.empty()) return e;
  return read_file(dir / scalar(path), text);
}

Error apply_patch(const fs::path& dir, const YAML::Node& entry, Objects& objects) {
  if (Error e = check_keys(entry, {"path", "patch", "target"}, "patch"); !e.empty()) return e;
  std::string text;
  if (Error e = patch_text(dir, entry, text); !e.empty()) return e;
  YAML::Node ops;
  try {
    ops = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return std::string("patch: ") + e.what();
  }
  if (!ops.IsSequence()) return "strategic-merge patches are not supported";
  Target target;
  if (Error e = parse_target(get(entry, "target"), target); !e.empty()) return e;
  int matched = 0;
  for (auto& [object, unused] : objects) {
    if (!matches(target, object)) continue;
    ++matched;
    for (const auto& op : ops) {
      if (Error e = apply_op(object, op); !e.empty())
        return "patch on " + describe(object) + ": " + e;
    }
  }
  if (matched == 0) return "patch target " + target.kind + "/" + target.name + " matches nothing";
  return {};
}

}  // namespace

Error apply_patches(const fs::path& dir, const YAML::Node& list, Objects& objects) {
  if (!list.IsDefined() || list.IsNull()) return {};
  if (!list.IsSequence()) return "patches: expected a list";
  for (const auto& entry : list) {
    if (Error e = apply_patch(dir, entry, objects); !e.empty()) return e;
  }
  return {};
}

}  // namespace meshgate::kustomize_lite::detail

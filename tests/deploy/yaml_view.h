// Reading rendered Kubernetes objects (yaml-cpp nodes) without exceptions: a
// missing key or a wrong type reads as undefined, "", -1 or empty, so that a
// test reports what it found instead of throwing.
#pragma once

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <map>
#include <string>
#include <vector>

namespace meshgate::testing::yaml_view {

inline std::string str(const YAML::Node& node) {
  return node.IsDefined() && node.IsScalar() ? node.Scalar() : "";
}

// `node`'s `key`, undefined when missing. yaml-cpp's operator[] gives an
// invalid node there, which throws when indexed again.
inline YAML::Node at(const YAML::Node& node, const std::string& key) {
  if (!node.IsDefined() || !node.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  const YAML::Node child = node[key];
  return child.IsDefined() ? child : YAML::Node(YAML::NodeType::Undefined);
}

inline YAML::Node at(const YAML::Node& node, std::initializer_list<const char*> path) {
  YAML::Node current(node);
  for (const char* key : path)
    current.reset(at(current, key));
  return current;
}

inline int number(const YAML::Node& node) {
  try {
    return node.IsDefined() && node.IsScalar() ? node.as<int>() : -1;
  } catch (const YAML::Exception&) {
    return -1;
  }
}

inline std::vector<YAML::Node> items(const YAML::Node& node) {
  std::vector<YAML::Node> out;
  if (node.IsDefined() && node.IsSequence()) {
    for (const auto& item : node)
      out.push_back(item);
  }
  return out;
}

inline std::map<std::string, std::string> string_map(const YAML::Node& node) {
  std::map<std::string, std::string> out;
  if (node.IsDefined() && node.IsMap()) {
    for (const auto& entry : node)
      out[entry.first.Scalar()] = str(entry.second);
  }
  return out;
}

}  // namespace meshgate::testing::yaml_view

#include "discovery/kubernetes/visibility.h"

#include <algorithm>

namespace meshgate::discovery::kube {
namespace {

bool has(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

}  // namespace

std::vector<std::string> parse_export_to(std::string_view annotation) {
  std::vector<std::string> out;
  while (!annotation.empty()) {
    const std::size_t comma = std::min(annotation.find(','), annotation.size());
    const std::string_view item = trim(annotation.substr(0, comma));
    if (!item.empty()) out.emplace_back(item);
    annotation.remove_prefix(std::min(comma + 1, annotation.size()));
  }
  return out;
}

bool visible_from(const std::vector<std::string>& export_to, std::string_view object_ns,
                  std::string_view viewer_ns) {
  if (export_to.empty() || has(export_to, "*")) return true;
  if (has(export_to, "~")) return false;
  return (has(export_to, ".") && object_ns == viewer_ns) || has(export_to, viewer_ns);
}

}  // namespace meshgate::discovery::kube

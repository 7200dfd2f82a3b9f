// Reading a WorkloadGroup (networking.istio.io) from YAML. The fields kept are
// the ones `istioctl x workload entry configure` reads: metadata name and
// namespace; spec.metadata labels and annotations; spec.template ports,
// serviceAccount, network and labels; spec.probe.
#include "onboarding/workload_group.h"

#include "config/names.h"
#include "discovery/names.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <exception>
#include <utility>

#include "config/yaml_documents.h"

namespace meshgate::onboarding {
namespace {

constexpr std::string_view kProxyConfigAnnotation = "proxy.istio.io/config";

using Errors = std::vector<std::string>;

void fail(Errors& errors, std::string_view path, std::string_view problem) {
  errors.push_back(fmt::format("{}: {}", path, problem));
}

std::string at(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}

std::string_view kind_of(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a string";
    default:
      return "null";
  }
}

// yaml-cpp tags an untagged plain scalar "?" and a quoted one "!": only plain
// scalars may be numbers, booleans or null.
bool is_plain(const YAML::Node& node) {
  return node.Tag() == "?";
}

// Keys of a mapping that are not in `known` are errors: a misspelt field
// would otherwise fall back to a default without a word.
void check_keys(const YAML::Node& map, std::string_view path,
                std::initializer_list<std::string_view> known, Errors& errors) {
  for (const auto& entry : map) {
    const std::string key = entry.first.Scalar();
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      fail(errors, at(path, key), "unknown field");
    }
  }
}

// The mapping at parent[key]; nullopt (with an error if it is something else) when absent.
std::optional<YAML::Node> read_map(const YAML::Node& parent, std::string_view key,
                                   std::string_view path, Errors& errors) {
  const YAML::Node node = parent[std::string(key)];
  if (!node.IsDefined() || node.IsNull()) return std::nullopt;
  if (!node.IsMap()) {
    fail(errors, at(path, key), fmt::format("expected a mapping, found {}", kind_of(node)));
    return std::nullopt;
  }
  return node;
}

std::optional<std::string> read_string(const YAML::Node& parent, std::string_view key,
                                       std::string_view path, Errors& errors) {
  const YAML::Node node = parent[std::string(key)];
  if (!node.IsDefined() || (node.IsNull() && is_plain(node))) return std::nullopt;
  if (!node.IsScalar()) {
    fail(errors, at(path, key), fmt::format("expected a string, found {}", kind_of(node)));
    return std::nullopt;
  }
  return node.Scalar();
}

// labels or annotations: a mapping of string to string with Kubernetes keys.
void read_string_map(const YAML::Node& parent, std::string_view key, std::string_view path,
                     bool label_values, std::map<std::string, std::string>& out, Errors& errors) {
  const auto map = read_map(parent, key, path, errors);
  if (!map) return;
  const std::string map_path = at(path, key);
  if (map->size() > kMaxLabels) {
    fail(errors, map_path, fmt::format("more than {} entries", kMaxLabels));
    return;
  }
  for (const auto& entry : *map) {
    const std::string name = entry.first.Scalar();
    const std::string entry_path = at(map_path, name);
    if (!config::is_label_key(name)) {
      fail(errors, entry_path,
           "not a valid key (an optional DNS prefix and '/', then up to 63 "
           "letters, digits, '-', '_' or '.')");
      continue;
    }
    if (!entry.second.IsScalar()) {
      fail(errors, entry_path, fmt::format("expected a string, found {}", kind_of(entry.second)));
      continue;
    }
    const std::string& value = entry.second.Scalar();
    if (label_values && !config::is_label_value(value)) {
      fail(errors, entry_path,
           "not a valid label value (up to 63 letters, digits, '-', '_' or '.', starting "
           "and ending with a letter or digit)");
      continue;
    }
    out[name] = value;
  }
}

std::optional<uint16_t> port_number(const YAML::Node& node) {
  if (!node.IsScalar() || !is_plain(node)) return std::nullopt;
  const std::string& text = node.Scalar();
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<uint16_t>(value);
}

void read_ports(const YAML::Node& template_node, WorkloadGroup& group, Errors& errors) {
  const auto ports = read_map(template_node, "ports", "spec.template", errors);
  if (!ports) return;
  if (ports->size() > kMaxPorts) {
    fail(errors, "spec.template.ports", fmt::format("more than {} ports", kMaxPorts));
    return;
  }
  for (const auto& entry : *ports) {
    const std::string name = entry.first.Scalar();
    const std::string path = at("spec.template.ports", name);
    if (!discovery::is_dns1123_label(name)) {
      fail(errors, path, "port name must be a DNS-1123 label (lowercase letters, digits, '-')");
    } else if (const auto number = port_number(entry.second)) {
      group.ports[name] = *number;
    } else {
      fail(errors, path, "expected a port number 1..65535");
    }
  }
}

// proxy.istio.io/config, when `annotations` has it: a ProxyConfig in YAML.
void read_proxy_config_annotation(const std::map<std::string, std::string>& annotations,
                                  std::string_view path, WorkloadGroup& group, Errors& errors) {
  const auto it = annotations.find(std::string(kProxyConfigAnnotation));
  if (it == annotations.end()) return;
  ProxyConfig config;
  parse_proxy_config_text(it->second, at(path, kProxyConfigAnnotation), config, errors);
  group.proxy_configs.push_back(std::move(config));
}

void read_metadata(const YAML::Node& doc, WorkloadGroup& group, Errors& errors) {
  const auto metadata = read_map(doc, "metadata", "", errors);
  if (!metadata) {
    fail(errors, "metadata", "missing");
    return;
  }
  group.name = read_string(*metadata, "name", "metadata", errors).value_or("");
  group.ns = read_string(*metadata, "namespace", "metadata", errors).value_or("");
  if (!discovery::is_dns1123_label(group.name)) {
    fail(errors, "metadata.name",
         group.name.empty() ? "missing"
                            : "must be a DNS-1123 label (lowercase letters, digits, "
                              "'-'; at most 63)");
  }
  if (!discovery::is_dns1123_label(group.ns)) {
    fail(errors, "metadata.namespace",
         group.ns.empty() ? "missing"
                          : "must be a DNS-1123 label (lowercase letters, digits, "
                            "'-'; at most 63)");
  }
  // The group's own annotations only matter for proxy.istio.io/config.
  std::map<std::string, std::string> annotations;
  read_string_map(*metadata, "annotations", "metadata", false, annotations, errors);
  read_proxy_config_annotation(annotations, "metadata.annotations", group, errors);
}

void read_template(const YAML::Node& spec, WorkloadGroup& group, Errors& errors) {
  const auto tmpl = read_map(spec, "template", "spec", errors);
  if (!tmpl) return;
  check_keys(*tmpl, "spec.template",
             {"address", "labels", "ports", "network", "locality", "weight", "serviceAccount"},
             errors);
  read_ports(*tmpl, group, errors);
  read_string_map(*tmpl, "labels", "spec.template", true, group.labels, errors);
  const YAML::Node template_labels = std::as_const(*tmpl)["labels"];
  group.template_labels =
      template_labels.IsDefined() && template_labels.IsMap() && template_labels.size() > 0;
  if (auto sa = read_string(*tmpl, "serviceAccount", "spec.template", errors); sa && !sa->empty()) {
    if (!discovery::is_dns_name(*sa)) {
      fail(errors, "spec.template.serviceAccount", "must be a lowercase DNS-1123 name");
    }
    group.service_account = *sa;
  }
  group.network = read_string(*tmpl, "network", "spec.template", errors).value_or("");
  if (!config::is_label_value(group.network)) {
    fail(errors, "spec.template.network",
         "must be a label value (up to 63 letters, digits, "
         "'-', '_' or '.')");
  }
}

void read_spec(const YAML::Node& doc, WorkloadGroup& group, Errors& errors) {
  const auto spec = read_map(doc, "spec", "", errors);
  if (!spec) return;
  check_keys(*spec, "spec", {"metadata", "template", "probe"}, errors);
  // Template labels are laid over these, so read them first.
  if (const auto metadata = read_map(*spec, "metadata", "spec", errors)) {
    check_keys(*metadata, "spec.metadata", {"labels", "annotations"}, errors);
    read_string_map(*metadata, "labels", "spec.metadata", true, group.labels, errors);
    read_string_map(*metadata, "annotations", "spec.metadata", false, group.annotations, errors);
  }
  read_proxy_config_annotation(group.annotations, "spec.metadata.annotations", group, errors);
  read_template(*spec, group, errors);
  if (group.labels.size() > kMaxLabels) {
    fail(errors, "spec.metadata.labels", fmt::format("more than {} labels", kMaxLabels));
  }
  if (const auto probe = read_map(*spec, "probe", "spec", errors)) {
    // As istioctl: the probe is copied whole; istiod checks its fields.
    if (const auto rendered = render_yaml(*probe, "spec.probe", errors)) {
      group.probe_yaml = rendered->block;
    }
  }
}

void read_document(const YAML::Node& doc, WorkloadGroup& group, Errors& errors) {
  if (!doc.IsMap()) {
    fail(errors, "document", fmt::format("expected a mapping, found {}", kind_of(doc)));
    return;
  }
  check_keys(doc, "", {"apiVersion", "kind", "metadata", "spec", "status"}, errors);
  // istioctl reads the file into a WorkloadGroup without looking at either
  // field, so both may be missing; one that is there must say WorkloadGroup.
  const std::string kind = read_string(doc, "kind", "", errors).value_or("");
  if (!kind.empty() && kind != "WorkloadGroup") {
    fail(errors, "kind", fmt::format("expected WorkloadGroup, found {}", yaml_string(kind)));
  }
  group.api_version = read_string(doc, "apiVersion", "", errors).value_or("");
  static constexpr std::array<std::string_view, 3> kVersions = {
      "networking.istio.io/v1", "networking.istio.io/v1beta1", "networking.istio.io/v1alpha3"};
  if (!group.api_version.empty() &&
      std::find(kVersions.begin(), kVersions.end(), group.api_version) == kVersions.end()) {
    fail(errors, "apiVersion",
         fmt::format("expected networking.istio.io/v1, v1beta1 or v1alpha3, found {}",
                     yaml_string(group.api_version)));
  }
  read_metadata(doc, group, errors);
  read_spec(doc, group, errors);
}

}  // namespace

WorkloadGroupResult parse_workload_group(std::string_view yaml) {
  WorkloadGroupResult result;
  if (yaml.size() > kMaxWorkloadGroupBytes) {
    fail(result.errors, "file", fmt::format("larger than {} bytes", kMaxWorkloadGroupBytes));
    return result;
  }
  WorkloadGroup group;
  try {
    std::vector<YAML::Node> documents = config::load_all_documents(std::string(yaml));
    std::erase_if(documents, [](const YAML::Node& doc) { return doc.IsNull(); });
    if (documents.size() != 1) {
      fail(result.errors, "file",
           fmt::format("expected one WorkloadGroup document, found {}", documents.size()));
      return result;
    }
    read_document(documents.front(), group, result.errors);
  } catch (const YAML::Exception& error) {
    result.errors.push_back(fmt::format("line {}: {}", error.mark.line + 1, error.msg));
  } catch (const std::exception& error) {
    result.errors.push_back(fmt::format("file: {}", error.what()));
  }
  if (result.errors.empty()) result.group = std::move(group);
  return result;
}

}  // namespace meshgate::onboarding

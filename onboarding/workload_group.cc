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
#include <exception>
#include <utility>

#include "config/yaml_documents.h"
#include "config/yaml_reader.h"

namespace meshgate::onboarding {
namespace {

namespace yaml = config::yaml;

constexpr std::string_view kProxyConfigAnnotation = "proxy.istio.io/config";
constexpr std::string_view kDocumentKeys[] = {"apiVersion", "kind", "metadata", "spec", "status"};
constexpr std::string_view kSpecKeys[] = {"metadata", "template", "probe"};
constexpr std::string_view kSpecMetadataKeys[] = {"labels", "annotations"};
constexpr std::string_view kTemplateKeys[] = {"address",  "labels", "ports",         "network",
                                              "locality", "weight", "serviceAccount"};
// Kubernetes metadata holds many fields a group read back from a cluster has.
constexpr size_t kMaxMetadataFields = 64;
constexpr yaml::ReaderLimits kLimits{100'000, 100};

constexpr std::string_view kLabelKeyRule =
    "not a valid key (an optional DNS prefix and '/', then up to 63 letters, digits, '-', '_' "
    "or '.')";
constexpr std::string_view kLabelValueRule =
    "not a valid label value (up to 63 letters, digits, '-', '_' or '.', starting and ending "
    "with a letter or digit)";
constexpr std::string_view kDns1123Rule =
    "must be a DNS-1123 label (lowercase letters, digits, '-'; at most 63)";

// Reads one WorkloadGroup document into `group`; every problem goes to the reader.
class GroupReader {
 public:
  GroupReader(yaml::Reader& reader, WorkloadGroup& group) : reader_(reader), group_(group) {}

  void document(const yaml::Value& root);

 private:
  void kind_and_version(const yaml::Fields& doc);
  void metadata(const yaml::Fields& doc);
  void spec(const yaml::Value& value);
  void template_fields(const yaml::Value& value);
  void ports(const yaml::Value& value);
  // labels or annotations: Kubernetes keys, string values (label values when asked).
  void string_map(const yaml::Value& value, bool label_values,
                  std::map<std::string, std::string>& out);
  void proxy_config_annotation(const yaml::Value& annotations,
                               const std::map<std::string, std::string>& values);
  // A name field: absent reads as "", which the caller reports as missing.
  std::string optional_string(const yaml::Fields& fields, std::string_view key);

  yaml::Reader& reader_;
  WorkloadGroup& group_;
};

std::string GroupReader::optional_string(const yaml::Fields& fields, std::string_view key) {
  const std::optional<yaml::Value> value = fields.get(key);
  if (!value) return "";
  return reader_.string(*value).value_or("");
}

void GroupReader::document(const yaml::Value& root) {
  const std::optional<yaml::Fields> doc = reader_.mapping(root, kDocumentKeys);
  if (!doc) return;
  kind_and_version(*doc);
  metadata(*doc);
  if (const auto spec_value = doc->get("spec")) spec(*spec_value);
}

// istioctl reads the file into a WorkloadGroup without looking at either
// field, so both may be missing; one that is there must say WorkloadGroup.
void GroupReader::kind_and_version(const yaml::Fields& doc) {
  const std::string kind = optional_string(doc, "kind");
  if (!kind.empty() && kind != "WorkloadGroup") {
    reader_.fail(*doc.get("kind"),
                 fmt::format("expected WorkloadGroup, found {}", yaml_string(kind)));
  }
  group_.api_version = optional_string(doc, "apiVersion");
  static constexpr std::array<std::string_view, 3> kVersions = {
      "networking.istio.io/v1", "networking.istio.io/v1beta1", "networking.istio.io/v1alpha3"};
  if (!group_.api_version.empty() &&
      std::find(kVersions.begin(), kVersions.end(), group_.api_version) == kVersions.end()) {
    reader_.fail(*doc.get("apiVersion"),
                 fmt::format("expected networking.istio.io/v1, v1beta1 or v1alpha3, found {}",
                             yaml_string(group_.api_version)));
  }
}

void GroupReader::metadata(const yaml::Fields& doc) {
  const std::optional<yaml::Value> value = doc.get("metadata");
  if (!value) return reader_.fail(yaml::child(doc.self(), "metadata", {}), "missing");
  const std::optional<yaml::Fields> fields = reader_.open_mapping(*value, kMaxMetadataFields);
  if (!fields) return;
  group_.name = optional_string(*fields, "name");
  group_.ns = optional_string(*fields, "namespace");
  const auto check_name = [&](std::string_view key, const std::string& name) {
    if (discovery::is_dns1123_label(name)) return;
    const yaml::Value at = fields->get(key).value_or(yaml::child(*value, key, {}));
    reader_.fail(at, name.empty() ? "missing" : std::string(kDns1123Rule));
  };
  check_name("name", group_.name);
  check_name("namespace", group_.ns);
  // The group's own annotations only matter for proxy.istio.io/config.
  if (const auto annotations = fields->get("annotations")) {
    std::map<std::string, std::string> values;
    string_map(*annotations, false, values);
    proxy_config_annotation(*annotations, values);
  }
}

void GroupReader::spec(const yaml::Value& value) {
  const std::optional<yaml::Fields> spec = reader_.mapping(value, kSpecKeys);
  if (!spec) return;
  // Template labels are laid over these, so read them first.
  if (const auto metadata = spec->get("metadata")) {
    if (const auto fields = reader_.mapping(*metadata, kSpecMetadataKeys)) {
      if (const auto labels = fields->get("labels")) string_map(*labels, true, group_.labels);
      if (const auto annotations = fields->get("annotations")) {
        string_map(*annotations, false, group_.annotations);
        proxy_config_annotation(*annotations, group_.annotations);
      }
    }
  }
  if (const auto tmpl = spec->get("template")) template_fields(*tmpl);
  if (group_.labels.size() > kMaxLabels) {
    reader_.fail(yaml::Value{{}, "spec.metadata.labels", spec->self().line},
                 fmt::format("more than {} labels", kMaxLabels));
  }
  if (const auto probe = spec->get("probe")) {
    // As istioctl: the probe is copied whole; istiod checks its fields.
    if (reader_.expect(*probe, YAML::NodeType::Map)) {
      if (const auto rendered = render_yaml(*probe, reader_)) group_.probe_yaml = rendered->block;
    }
  }
}

void GroupReader::template_fields(const yaml::Value& value) {
  const std::optional<yaml::Fields> tmpl = reader_.mapping(value, kTemplateKeys);
  if (!tmpl) return;
  if (const auto ports_value = tmpl->get("ports")) ports(*ports_value);
  if (const auto labels = tmpl->get("labels")) {
    string_map(*labels, true, group_.labels);
    group_.template_labels = labels->node.IsMap() && labels->node.size() > 0;
  }
  if (const auto sa = tmpl->get("serviceAccount")) {
    const std::string account = reader_.string(*sa).value_or("");
    if (!account.empty() && !discovery::is_dns_name(account)) {
      reader_.fail(*sa, "must be a lowercase DNS-1123 name");
    }
    if (!account.empty()) group_.service_account = account;
  }
  if (const auto network = tmpl->get("network")) {
    group_.network = reader_.string(*network).value_or("");
    if (!config::is_label_value(group_.network)) {
      reader_.fail(*network, "must be a label value (up to 63 letters, digits, '-', '_' or '.')");
    }
  }
}

void GroupReader::ports(const yaml::Value& value) {
  for (const auto& [name, port] : reader_.entries(value, kMaxPorts)) {
    if (!discovery::is_dns1123_label(name)) {
      reader_.fail(port, "port name must be a DNS-1123 label (lowercase letters, digits, '-')");
    } else if (const auto number = reader_.number(port, 1, 65535)) {
      group_.ports[name] = static_cast<uint16_t>(*number);
    }
  }
}

void GroupReader::string_map(const yaml::Value& value, bool label_values,
                             std::map<std::string, std::string>& out) {
  for (const auto& [key, entry] : reader_.entries(value, kMaxLabels)) {
    if (!config::is_label_key(key)) {
      reader_.fail(entry, std::string(kLabelKeyRule));
      continue;
    }
    const std::optional<std::string> text = reader_.string(entry);
    if (!text) continue;
    if (label_values && !config::is_label_value(*text)) {
      reader_.fail(entry, std::string(kLabelValueRule));
      continue;
    }
    out[key] = *text;
  }
}

// proxy.istio.io/config, when the annotations have it: a ProxyConfig in YAML.
void GroupReader::proxy_config_annotation(const yaml::Value& annotations,
                                          const std::map<std::string, std::string>& values) {
  const auto it = values.find(std::string(kProxyConfigAnnotation));
  if (it == values.end()) return;
  const yaml::Value at = yaml::child(annotations, kProxyConfigAnnotation, {});
  ProxyConfig config;
  base::Errors errors;
  parse_proxy_config_text(it->second, at, config, errors);
  for (base::Error& error : errors)
    reader_.fail(yaml::Value{{}, std::move(error.path), error.line}, std::move(error.message));
  group_.proxy_configs.push_back(std::move(config));
}

// The documents of `yaml` that are not empty.
std::vector<YAML::Node> documents_of(std::string_view yaml) {
  std::vector<YAML::Node> documents = config::load_all_documents(std::string(yaml));
  std::erase_if(documents, [](const YAML::Node& doc) { return doc.IsNull(); });
  return documents;
}

}  // namespace

WorkloadGroupResult parse_workload_group(std::string_view yaml) {
  WorkloadGroupResult result;
  if (yaml.size() > kMaxWorkloadGroupBytes) {
    result.errors.push_back({"", 0, fmt::format("larger than {} bytes", kMaxWorkloadGroupBytes)});
    return result;
  }
  WorkloadGroup group;
  yaml::Reader reader(kLimits);
  try {
    const std::vector<YAML::Node> documents = documents_of(yaml);
    if (documents.size() != 1) {
      result.errors.push_back(
          {"", 0, fmt::format("expected one WorkloadGroup document, found {}", documents.size())});
      return result;
    }
    GroupReader(reader, group).document(yaml::root(documents.front()));
    result.errors = reader.take_errors();
  } catch (const yaml::StopParsing& stop) {
    result.errors = reader.take_errors();
    result.errors.push_back(stop.error);
  } catch (const YAML::Exception& error) {
    result.errors = {{"", error.mark.line + 1, error.msg}};
  } catch (const std::exception& error) {
    result.errors = {{"", 0, error.what()}};
  }
  if (result.errors.empty()) result.group = std::move(group);
  return result;
}

}  // namespace meshgate::onboarding

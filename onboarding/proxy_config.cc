// Reading a MeshConfig and ProxyConfig the way istioctl's createMeshConfig
// does (istioctl/pkg/workload/workload.go): protomarshal.ApplyYAML, which
// replaces each field present in the input, accepts either the JSON
// (camelCase) or the proto (snake_case) name of a field and ignores unknown
// ones; then the annotation's proxyMetadata merged key by key.
#include "onboarding/proxy_config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <exception>
#include <utility>

#include "config/yaml_documents.h"

namespace meshgate::onboarding {
namespace {

using Errors = std::vector<std::string>;

void fail(Errors& errors, std::string_view path, std::string_view problem) {
  errors.push_back(fmt::format("{}: {}", path, problem));
}

std::string at(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}

bool is_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// A proto field's JSON name: snake_case becomes lowerCamelCase.
std::string json_name(std::string_view name) {
  std::string out;
  bool upper = false;
  for (char c : name) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out += (upper && c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    upper = false;
  }
  return out;
}

bool is_field_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 &&
         ((name.front() >= 'a' && name.front() <= 'z') ||
          (name.front() >= 'A' && name.front() <= 'Z')) &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_';
         });
}

// A scalar's text; nullopt (with an error for a mapping or list) otherwise.
std::optional<std::string> scalar(const YAML::Node& node, std::string_view path, Errors& errors) {
  if (node.IsScalar()) return node.Scalar();
  if (node.IsNull()) return std::string();
  fail(errors, path, "expected a string");
  return std::nullopt;
}

void read_metadata(const YAML::Node& node, std::string_view path, ProxyConfig& out,
                   Errors& errors) {
  if (!node.IsMap()) {
    fail(errors, path, "expected a mapping of strings");
    return;
  }
  if (node.size() > kMaxProxyMetadata) {
    fail(errors, path, fmt::format("more than {} entries", kMaxProxyMetadata));
    return;
  }
  std::map<std::string, std::string> metadata;
  for (const auto& entry : node) {
    const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
    const std::string entry_path = at(path, key);
    if (!is_env_name(key)) {
      fail(errors, entry_path, "not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)");
      continue;
    }
    const std::optional<std::string> value = scalar(entry.second, entry_path, errors);
    if (!value) continue;
    if (!is_env_value(*value)) {
      fail(errors, entry_path,
           fmt::format("not a value cluster.env can hold (printable ASCII without a single "
                       "quote, at most {} bytes)",
                       kMaxEnvValueBytes));
      continue;
    }
    metadata[key] = *value;
  }
  out.proxy_metadata = std::move(metadata);
}

void read_status_port(const YAML::Node& node, std::string_view path, ProxyConfig& out,
                      Errors& errors) {
  const std::optional<std::string> text = scalar(node, path, errors);
  if (!text) return;
  uint32_t port = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), port);
  if (ec != std::errc() || end != text->data() + text->size() || port > 65535) {
    fail(errors, path, "expected a port number 0..65535");
    return;
  }
  out.status_port = port;
}

void read_string_field(const YAML::Node& node, std::string_view path, bool id,
                       std::optional<std::string>& out, Errors& errors) {
  const std::optional<std::string> text = scalar(node, path, errors);
  if (!text) return;
  if (id && !text->empty() && !is_plain_id(*text)) {
    fail(errors, path, "must be letters, digits, '.', '-' or '_'");
  } else if (!id &&
             (!is_env_value(*text) || text->find(' ') != std::string::npos || text->size() > 512)) {
    fail(errors, path, "must be host:port (printable ASCII, no spaces)");
  } else {
    out = *text;
  }
}

void read_field(std::string_view name, const YAML::Node& value, std::string_view path,
                ProxyConfig& out, Errors& errors) {
  if (value.IsNull()) return;  // as absent
  if (name == "discoveryAddress") {
    read_string_field(value, path, false, out.discovery_address, errors);
  } else if (name == "meshId") {
    read_string_field(value, path, true, out.mesh_id, errors);
  } else if (name == "statusPort") {
    read_status_port(value, path, out, errors);
  } else if (name == "proxyMetadata") {
    read_metadata(value, path, out, errors);
  } else if (name != "readinessProbe") {  // replaced by the group's probe
    if (auto rendered = render_yaml(value, path, errors)) {
      out.other.insert_or_assign(std::string(name), std::move(*rendered));
    }
  }
}

// The one document of `yaml`, or a null node; throws what yaml-cpp throws.
YAML::Node one_document(std::string_view yaml, std::string_view path, Errors& errors) {
  std::vector<YAML::Node> documents = config::load_all_documents(std::string(yaml));
  std::erase_if(documents, [](const YAML::Node& doc) { return doc.IsNull(); });
  if (documents.size() > 1) {
    fail(errors, path.empty() ? "file" : path,
         fmt::format("expected one YAML document, found {}", documents.size()));
    return YAML::Node();
  }
  return documents.empty() ? YAML::Node() : documents.front();
}

void read_mesh_document(const YAML::Node& doc, MeshConfig& mesh, Errors& errors) {
  if (doc.IsNull()) return;
  if (!doc.IsMap()) {
    fail(errors, "document", "expected a mapping");
    return;
  }
  for (const auto& entry : doc) {
    const std::string name = json_name(entry.first.IsScalar() ? entry.first.Scalar() : "");
    if (name == "trustDomain" && !entry.second.IsNull()) {
      const std::optional<std::string> text = scalar(entry.second, name, errors);
      if (text && !text->empty() && !is_trust_domain(*text)) {
        fail(errors, name, "must be lowercase letters, digits, '.', '-' or '_'");
      } else if (text) {
        mesh.trust_domain = *text;
      }
    } else if (name == "defaultConfig") {
      read_proxy_config(entry.second, name, mesh.default_config, errors);
    }
  }
}

}  // namespace

void read_proxy_config(const YAML::Node& node, std::string_view path, ProxyConfig& out,
                       Errors& errors) {
  if (node.IsNull()) return;
  if (!node.IsMap()) {
    fail(errors, path, "expected a mapping");
    return;
  }
  for (const auto& entry : node) {
    const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
    if (!is_field_name(key)) {
      fail(errors, at(path, key), "not a ProxyConfig field name");
      continue;
    }
    read_field(json_name(key), entry.second, at(path, key), out, errors);
  }
}

MeshConfigResult parse_mesh_config(std::string_view yaml) {
  MeshConfigResult result;
  if (yaml.size() > kMaxMeshConfigBytes) {
    fail(result.errors, "file", fmt::format("larger than {} bytes", kMaxMeshConfigBytes));
    return result;
  }
  MeshConfig mesh;
  try {
    read_mesh_document(one_document(yaml, "", result.errors), mesh, result.errors);
  } catch (const YAML::Exception& error) {
    result.errors.push_back(fmt::format("line {}: {}", error.mark.line + 1, error.msg));
  } catch (const std::exception& error) {
    result.errors.push_back(fmt::format("file: {}", error.what()));
  }
  if (result.errors.empty()) result.mesh = std::move(mesh);
  return result;
}

void parse_proxy_config_text(std::string_view yaml, std::string_view path, ProxyConfig& out,
                             Errors& errors) {
  try {
    read_proxy_config(one_document(yaml, path, errors), path, out, errors);
  } catch (const YAML::Exception& error) {
    errors.push_back(fmt::format("{}: line {}: {}", path, error.mark.line + 1, error.msg));
  } catch (const std::exception& error) {
    errors.push_back(fmt::format("{}: {}", path, error.what()));
  }
}

void apply_proxy_config(ProxyConfig& base, const ProxyConfig& overlay) {
  if (overlay.discovery_address) base.discovery_address = overlay.discovery_address;
  if (overlay.mesh_id) base.mesh_id = overlay.mesh_id;
  if (overlay.status_port) base.status_port = overlay.status_port;
  if (overlay.proxy_metadata) {
    // istioctl writes into the mesh's map; with a mesh `defaultConfig: {}`
    // it has none (and istioctl would crash): the entries start one.
    if (!base.proxy_metadata) base.proxy_metadata.emplace();
    for (const auto& [key, value] : *overlay.proxy_metadata)
      (*base.proxy_metadata)[key] = value;
  }
  for (const auto& [name, value] : overlay.other)
    base.other.insert_or_assign(name, value);
}

bool is_plain_id(std::string_view text) {
  return !text.empty() && text.size() <= 253 && std::all_of(text.begin(), text.end(), is_id_char);
}

bool is_trust_domain(std::string_view text) {
  return !text.empty() && text.size() <= 255 && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  });
}

bool is_env_name(std::string_view text) {
  return !text.empty() && text.size() <= 128 && !(text.front() >= '0' && text.front() <= '9') &&
         std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_';
         });
}

bool is_env_value(std::string_view text) {
  return text.size() <= kMaxEnvValueBytes && std::all_of(text.begin(), text.end(), [](char c) {
           return c >= 0x20 && c < 0x7f && c != '\'';
         });
}

}  // namespace meshgate::onboarding

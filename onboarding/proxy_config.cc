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
#include "config/yaml_reader.h"

namespace meshgate::onboarding {
namespace {

namespace yaml = config::yaml;

constexpr yaml::ReaderLimits kLimits{100'000, 100};
// A MeshConfig and a ProxyConfig have a few dozen fields.
constexpr size_t kMaxFields = 256;

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

// A scalar's text ("" for null); nullopt, with an error, for a mapping or list.
std::optional<std::string> scalar(yaml::Reader& reader, const yaml::Value& value) {
  if (value.node.IsNull()) return std::string();
  return reader.string(value);
}

void read_metadata(yaml::Reader& reader, const yaml::Value& value, ProxyConfig& out) {
  if (!value.node.IsMap()) return reader.fail(value, "expected a mapping of strings");
  std::map<std::string, std::string> metadata;
  for (const auto& [key, entry] : reader.entries(value, kMaxProxyMetadata)) {
    if (!is_env_name(key)) {
      reader.fail(entry, "not an environment variable name ([A-Za-z_][A-Za-z0-9_]*)");
      continue;
    }
    const std::optional<std::string> text = scalar(reader, entry);
    if (!text) continue;
    if (!is_env_value(*text)) {
      reader.fail(entry, fmt::format("not a value cluster.env can hold (printable ASCII without "
                                     "a single quote, at most {} bytes)",
                                     kMaxEnvValueBytes));
      continue;
    }
    metadata[key] = *text;
  }
  out.proxy_metadata = std::move(metadata);
}

// Quoted or not, as protobuf's JSON reading takes a uint32 from either.
void read_status_port(yaml::Reader& reader, const yaml::Value& value, ProxyConfig& out) {
  const std::optional<std::string> text = scalar(reader, value);
  if (!text) return;
  uint32_t port = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), port);
  if (ec != std::errc() || end != text->data() + text->size() || port > 65535) {
    return reader.fail(value, "expected a port number 0..65535");
  }
  out.status_port = port;
}

void read_string_field(yaml::Reader& reader, const yaml::Value& value, bool id,
                       std::optional<std::string>& out) {
  const std::optional<std::string> text = scalar(reader, value);
  if (!text) return;
  if (id && !text->empty() && !is_plain_id(*text)) {
    reader.fail(value, "must be letters, digits, '.', '-' or '_'");
  } else if (!id &&
             (!is_env_value(*text) || text->find(' ') != std::string::npos || text->size() > 512)) {
    reader.fail(value, "must be host:port (printable ASCII, no spaces)");
  } else {
    out = *text;
  }
}

void read_field(yaml::Reader& reader, std::string_view name, const yaml::Value& value,
                ProxyConfig& out) {
  if (value.node.IsNull()) return;  // as absent
  if (name == "discoveryAddress") {
    read_string_field(reader, value, false, out.discovery_address);
  } else if (name == "meshId") {
    read_string_field(reader, value, true, out.mesh_id);
  } else if (name == "statusPort") {
    read_status_port(reader, value, out);
  } else if (name == "proxyMetadata") {
    read_metadata(reader, value, out);
  } else if (name != "readinessProbe") {  // replaced by the group's probe
    if (auto rendered = render_yaml(value, reader)) {
      out.other.insert_or_assign(std::string(name), std::move(*rendered));
    }
  }
}

// A ProxyConfig mapping (defaultConfig, or an annotation's value) into `out`.
void read_proxy_config(yaml::Reader& reader, const yaml::Value& value, ProxyConfig& out) {
  if (value.node.IsNull()) return;
  const std::optional<yaml::Fields> fields = reader.open_mapping(value, kMaxFields);
  if (!fields) return;
  for (const auto& [key, entry] : fields->entries()) {
    if (!is_field_name(key)) {
      reader.fail(entry, "not a ProxyConfig field name");
      continue;
    }
    read_field(reader, json_name(key), entry, out);
  }
}

// The one document of `yaml`, or a null node; throws what yaml-cpp throws.
YAML::Node one_document(std::string_view yaml, yaml::Reader& reader, const yaml::Value& at) {
  std::vector<YAML::Node> documents = config::load_all_documents(std::string(yaml));
  std::erase_if(documents, [](const YAML::Node& doc) { return doc.IsNull(); });
  if (documents.size() > 1) {
    reader.fail(at, fmt::format("expected one YAML document, found {}", documents.size()));
    return YAML::Node();
  }
  return documents.empty() ? YAML::Node() : documents.front();
}

void read_mesh_document(yaml::Reader& reader, const yaml::Value& root, MeshConfig& mesh) {
  if (root.node.IsNull()) return;
  const std::optional<yaml::Fields> fields = reader.open_mapping(root, kMaxFields);
  if (!fields) return;
  for (const auto& [key, entry] : fields->entries()) {
    const std::string name = json_name(key);
    if (name == "trustDomain" && !entry.node.IsNull()) {
      const std::optional<std::string> text = scalar(reader, entry);
      if (text && !text->empty() && !is_trust_domain(*text)) {
        reader.fail(entry, "must be lowercase letters, digits, '.', '-' or '_'");
      } else if (text) {
        mesh.trust_domain = *text;
      }
    } else if (name == "defaultConfig") {
      read_proxy_config(reader, entry, mesh.default_config);
    }
  }
}

// Runs `read` with a reader; every error, a syntax error and a bound hit included, lands in
// `errors`.
template <typename Read>
void read_all(base::Errors& errors, Read&& read) {
  yaml::Reader reader(kLimits);
  try {
    read(reader);
    errors = reader.take_errors();
  } catch (const yaml::StopParsing& stop) {
    errors = reader.take_errors();
    errors.push_back(stop.error);
  } catch (const YAML::Exception& error) {
    errors = {{"", error.mark.line + 1, error.msg}};
  } catch (const std::exception& error) {
    errors = {{"", 0, error.what()}};
  }
}

}  // namespace

MeshConfigResult parse_mesh_config(std::string_view yaml) {
  MeshConfigResult result;
  if (yaml.size() > kMaxMeshConfigBytes) {
    result.errors.push_back({"", 0, fmt::format("larger than {} bytes", kMaxMeshConfigBytes)});
    return result;
  }
  MeshConfig mesh;
  read_all(result.errors, [&](yaml::Reader& reader) {
    const yaml::Value document{{}, "", 1};
    read_mesh_document(reader, yaml::root(one_document(yaml, reader, document)), mesh);
  });
  if (result.errors.empty()) result.mesh = std::move(mesh);
  return result;
}

void parse_proxy_config_text(std::string_view yaml, const yaml::Value& at, ProxyConfig& out,
                             base::Errors& errors) {
  base::Errors found;
  read_all(found, [&](yaml::Reader& reader) {
    read_proxy_config(reader, yaml::Value{one_document(yaml, reader, at), at.path, at.line}, out);
  });
  // Lines inside the annotation's text mean nothing in the file around it.
  for (base::Error& error : found) {
    if (error.path.empty()) {  // about the text itself: where in it
      error.path = at.path;
      error.message = fmt::format("line {}: {}", error.line, error.message);
    }
    error.line = at.line;
    errors.push_back(std::move(error));
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

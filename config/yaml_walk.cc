#include "config/yaml_walk.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "config/duration.h"
#include "config/suggest.h"
#include "config/validate.h"
#include "config/yaml_documents.h"
#include "config/yaml_scalar.h"
#include "config/yaml_walker.h"

namespace meshgate::config::detail {

void Walker::document(const YAML::Node& root) {
  base::Errors stopped;
  try {
    top_level(root);
  } catch (const yaml::StopParsing& stop) {
    stopped.push_back(stop.error);
  }
  out_.errors = reader_.take_errors();
  out_.errors.insert(out_.errors.end(), stopped.begin(), stopped.end());
}

void Walker::top_level(const YAML::Node& root) {
  if (root.IsNull()) return;  // an empty document: every key at its default
  mapping(
      root, "",
      {
          {"network", [&](auto& v, auto& p) { read_string(v, p, config_.network); }},
          {"cluster_domain", [&](auto& v, auto& p) { read_string(v, p, config_.cluster_domain); }},
          {"workers", [&](auto& v, auto& p) { read_uint32(v, p, kWorkersRange, config_.workers); }},
          {"listeners", [&](auto& v, auto& p) { listeners(v, p); }},
          {"discovery", [&](auto& v, auto& p) { discovery(v, p); }},
          {"passthrough", [&](auto& v, auto& p) { passthrough(v, p); }},
          {"tcp_keepalive", [&](auto& v, auto& p) { tcp_keepalive(v, p); }},
          {"timeouts", [&](auto& v, auto& p) { timeouts(v, p); }},
          {"limits", [&](auto& v, auto& p) { limits(v, p); }},
          {"http", [&](auto& v, auto& p) { http(v, p); }},
          {"istiod", [&](auto& v, auto& p) { istiod(v, p); }},
          {"access_log", [&](auto& v, auto& p) { access_log(v, p); }},
          {"outlier", [&](auto& v, auto& p) { outlier(v, p); }},
          {"dns", [&](auto& v, auto& p) { dns(v, p); }},
          {"reload",
           [&](auto& v, auto& p) {
             mapping(v, p, {{"poll_interval", [&](auto& rv, auto& rp) {
                               read_duration(rv, rp, config_.reload.poll_interval);
                             }}});
           }},
      });
}

yaml::Value Walker::at(const YAML::Node& node, const std::string& path) const {
  if (path.empty()) return yaml::root(node);
  return yaml::Value{node, path, line_of(out_.lines, path)};
}

void Walker::refuse(const std::string& path, std::string message) {
  refused(path);
  reader_.fail(at(YAML::Node(), path), std::move(message));
}

bool Walker::expect(const YAML::Node& node, const std::string& path, YAML::NodeType::value type) {
  if (reader_.expect(at(node, path), type)) return true;
  refused(path);
  return false;
}

// Each known key's reader runs on its value, in document order; unknown and
// repeated keys are errors (the reader's), and their values are not read.
void Walker::mapping(const YAML::Node& node, const std::string& path,
                     const std::vector<Field>& fields) {
  std::vector<std::string_view> keys;
  for (const Field& field : fields)
    keys.push_back(field.key);
  const std::optional<yaml::Fields> entries = reader_.mapping(at(node, path), keys);
  if (!entries) return refused(path);
  for (const auto& [key, value] : entries->entries()) {
    out_.lines.emplace(value.path, value.line);
    const std::string& name = key;  // clang 14 cannot capture a structured binding
    const auto field =
        std::find_if(fields.begin(), fields.end(), [&](const Field& f) { return f.key == name; });
    field->read(value.node, value.path);
  }
}

std::vector<yaml::Value> Walker::items(const YAML::Node& node, const std::string& path) {
  if (!expect(node, path, YAML::NodeType::Sequence)) return {};
  std::vector<yaml::Value> items = reader_.sequence(at(node, path), kMaxItems);
  for (const yaml::Value& item : items)
    out_.lines.emplace(item.path, item.line);
  return items;
}

void Walker::listeners(const YAML::Node& node, const std::string& path) {
  std::vector<Field> fields;
  for (const NamedListener& named : kListenerKeys) {
    Listener& target = config_.listeners.*named.member;
    fields.push_back({named.name, [this, &target](auto& v, auto& p) { listener(v, p, target); }});
  }
  mapping(node, path, fields);
}

void Walker::listener(const YAML::Node& node, const std::string& path, Listener& target) {
  mapping(node, path,
          {
              {"address", [&](auto& v, auto& p) { read_string(v, p, target.address); }},
              {"port", [&](auto& v, auto& p) { read_port(v, p, kPortRange, target.port); }},
          });
}

void Walker::discovery(const YAML::Node& node, const std::string& path) {
  mapping(node, path,
          {
              {"files", [&](auto& v, auto& p) { files(v, p); }},
              {"kubernetes", [&](auto& v, auto& p) { kubernetes(v, p); }},
              {"xds", [&](auto& v, auto& p) { xds(v, p); }},
          });
}

void Walker::files(const YAML::Node& node, const std::string& path) {
  if (!node.IsSequence()) return (void)expect(node, path, YAML::NodeType::Sequence);
  std::vector<FileSource>& sources = config_.discovery.files;
  sources.clear();
  // Kept even when malformed so that indices match the document's.
  for (const yaml::Value& item : items(node, path))
    file_source(item.node, item.path, sources.emplace_back());
}

void Walker::file_source(const YAML::Node& node, const std::string& path, FileSource& target) {
  mapping(
      node, path,
      {
          {"path", [&](auto& v, auto& p) { read_string(v, p, target.path); }},
          {"poll_interval", [&](auto& v, auto& p) { read_duration(v, p, target.poll_interval); }},
      });
}

// Host and namespace names are checked by validate_config, which has no YAML.
void Walker::kubernetes(const YAML::Node& node, const std::string& path) {
  KubernetesSource& target = config_.discovery.kubernetes;
  mapping(
      node, path,
      {
          {"enabled", [&](auto& v, auto& p) { read_bool(v, p, target.enabled); }},
          {"kubeconfig", [&](auto& v, auto& p) { read_string(v, p, target.kubeconfig); }},
          {"export_hosts", [&](auto& v, auto& p) { read_string_list(v, p, target.export_hosts); }},
          {"gateway_selector",
           [&](auto& v, auto& p) { read_string_map(v, p, target.gateway_selector); }},
          {"gateway_port",
           [&](auto& v, auto& p) { read_port(v, p, kUpstreamPortRange, target.gateway_port); }},
          {"gateway_namespace",
           [&](auto& v, auto& p) { read_string(v, p, target.gateway_namespace); }},
          {"system_namespace",
           [&](auto& v, auto& p) { read_string(v, p, target.system_namespace); }},
          {"cluster_id", [&](auto& v, auto& p) { read_string(v, p, target.cluster_id); }},
          {"include_namespaces",
           [&](auto& v, auto& p) { read_string_list(v, p, target.include_namespaces); }},
          {"exclude_namespaces",
           [&](auto& v, auto& p) { read_string_list(v, p, target.exclude_namespaces); }},
          {"istio_resources", [&](auto& v, auto& p) { read_bool(v, p, target.istio_resources); }},
          {"coalesce", [&](auto& v, auto& p) { read_duration(v, p, target.coalesce); }},
      });
}

void Walker::passthrough(const YAML::Node& node, const std::string& path) {
  Passthrough& target = config_.passthrough;
  mapping(node, path,
          {
              {"require_istio_alpn",
               [&](auto& v, auto& p) { read_bool(v, p, target.require_istio_alpn); }},
              {"require_mtls_endpoints",
               [&](auto& v, auto& p) { read_bool(v, p, target.require_mtls_endpoints); }},
              {"load_balancing",
               [&](auto& v, auto& p) { read_load_balancing(v, p, target.load_balancing); }},
              {"connect_attempts",
               [&](auto& v, auto& p) {
                 read_uint32(v, p, kConnectAttemptsRange, target.connect_attempts);
               }},
              {"splice", [&](auto& v, auto& p) { read_splice_mode(v, p, target.splice); }},
              {"allow_loopback_endpoints",
               [&](auto& v, auto& p) { read_bool(v, p, target.allow_loopback_endpoints); }},
          });
}

void Walker::tcp_keepalive(const YAML::Node& node, const std::string& path) {
  TcpKeepalive& target = config_.tcp_keepalive;
  mapping(node, path,
          {
              {"enabled", [&](auto& v, auto& p) { read_bool(v, p, target.enabled); }},
              {"idle", [&](auto& v, auto& p) { read_duration(v, p, target.idle); }},
              {"interval", [&](auto& v, auto& p) { read_duration(v, p, target.interval); }},
              {"probes",
               [&](auto& v, auto& p) { read_uint32(v, p, kKeepaliveProbesRange, target.probes); }},
          });
}

void Walker::timeouts(const YAML::Node& node, const std::string& path) {
  Timeouts& target = config_.timeouts;
  mapping(node, path,
          {
              {"client_hello", [&](auto& v, auto& p) { read_duration(v, p, target.client_hello); }},
              {"connect", [&](auto& v, auto& p) { read_duration(v, p, target.connect); }},
              {"upstream_first_byte",
               [&](auto& v, auto& p) { read_duration(v, p, target.upstream_first_byte); }},
              {"idle", [&](auto& v, auto& p) { read_duration(v, p, target.idle); }},
              {"half_closed", [&](auto& v, auto& p) { read_duration(v, p, target.half_closed); }},
              {"drain_delay", [&](auto& v, auto& p) { read_duration(v, p, target.drain_delay); }},
              {"drain", [&](auto& v, auto& p) { read_duration(v, p, target.drain); }},
          });
}

void Walker::limits(const YAML::Node& node, const std::string& path) {
  Limits& target = config_.limits;
  mapping(
      node, path,
      {
          {"max_client_hello_bytes",
           [&](auto& v, auto& p) {
             read_uint32(v, p, kMaxClientHelloBytesRange, target.max_client_hello_bytes);
           }},
          {"max_connections",
           [&](auto& v, auto& p) {
             read_uint32(v, p, kMaxConnectionsRange, target.max_connections);
           }},
          {"max_connections_per_client",
           [&](auto& v, auto& p) {
             read_uint32(v, p, kMaxConnectionsPerClientRange, target.max_connections_per_client);
           }},
          {"buffer_bytes",
           [&](auto& v, auto& p) { read_uint32(v, p, kBufferBytesRange, target.buffer_bytes); }},
      });
}

void Walker::http(const YAML::Node& node, const std::string& path) {
  Http& target = config_.http;
  mapping(node, path,
          {
              {"request_timeout",
               [&](auto& v, auto& p) { read_duration(v, p, target.request_timeout); }},
              {"idle_timeout", [&](auto& v, auto& p) { read_duration(v, p, target.idle_timeout); }},
              {"max_connections",
               [&](auto& v, auto& p) {
                 read_uint32(v, p, kHttpConnectionsRange, target.max_connections);
               }},
              {"max_connections_per_client",
               [&](auto& v, auto& p) {
                 read_uint32(v, p, kHttpConnectionsPerClientRange,
                             target.max_connections_per_client);
               }},
          });
}

void Walker::istiod(const YAML::Node& node, const std::string& path) {
  Istiod& target = config_.istiod;
  mapping(node, path,
          {
              {"xds", [&](auto& v, auto& p) { upstream(v, p, target.xds); }},
              {"webhook", [&](auto& v, auto& p) { upstream(v, p, target.webhook); }},
              {"dns_refresh", [&](auto& v, auto& p) { read_duration(v, p, target.dns_refresh); }},
          });
}

void Walker::upstream(const YAML::Node& node, const std::string& path, Upstream& target) {
  mapping(node, path,
          {
              {"host", [&](auto& v, auto& p) { read_string(v, p, target.host); }},
              {"port", [&](auto& v, auto& p) { read_port(v, p, kUpstreamPortRange, target.port); }},
          });
}

void Walker::access_log(const YAML::Node& node, const std::string& path) {
  AccessLog& target = config_.access_log;
  mapping(node, path,
          {
              {"enabled", [&](auto& v, auto& p) { read_bool(v, p, target.enabled); }},
              {"format", [&](auto& v, auto& p) { read_access_log_format(v, p, target.format); }},
              {"path", [&](auto& v, auto& p) { read_string(v, p, target.path); }},
          });
}

void Walker::outlier(const YAML::Node& node, const std::string& path) {
  Outlier& target = config_.outlier;
  mapping(
      node, path,
      {
          {"consecutive_failures",
           [&](auto& v, auto& p) {
             read_uint32(v, p, kConsecutiveFailuresRange, target.consecutive_failures);
           }},
          {"base_ejection", [&](auto& v, auto& p) { read_duration(v, p, target.base_ejection); }},
          {"max_ejection", [&](auto& v, auto& p) { read_duration(v, p, target.max_ejection); }},
      });
}

void Walker::read_string(const YAML::Node& node, const std::string& path, std::string& target) {
  std::optional<std::string> value = reader_.string(at(node, path));
  if (!value) return refused(path);
  target = std::move(*value);
}

void Walker::read_bool(const YAML::Node& node, const std::string& path, bool& target) {
  const std::optional<bool> value = reader_.boolean(at(node, path));
  if (!value) return refused(path);
  target = *value;
}

// The integer, if it is one and fits the target type. `range` is the key's
// documented range, quoted when the value cannot even be stored; values that
// fit the type are range-checked by validate_config.
std::optional<int64_t> Walker::read_integer(const YAML::Node& node, const std::string& path,
                                            IntRange range, std::string_view what) {
  int64_t value = 0;
  const IntParse parsed = parse_integer(node, value);
  if (parsed == IntParse::kNotInteger) {
    refuse(path, "expected an integer, found " + describe(node));
    return std::nullopt;
  }
  if (parsed == IntParse::kTooLarge) {
    refuse(path, range_message(range, what));
    return std::nullopt;
  }
  return value;
}

void Walker::read_uint32(const YAML::Node& node, const std::string& path, IntRange range,
                         uint32_t& target) {
  const std::optional<int64_t> value = read_integer(node, path, range, "value");
  if (!value) return;
  if (*value < 0 || *value > int64_t{UINT32_MAX}) {
    refuse(path, range_message(range));
    return;
  }
  target = static_cast<uint32_t>(*value);
}

// `range` is the key's documented range; a value that fits a port number but
// not the range is left to validate_config.
void Walker::read_port(const YAML::Node& node, const std::string& path, IntRange range,
                       uint16_t& target) {
  const std::optional<int64_t> value = read_integer(node, path, range, "port");
  if (!value) return;
  if (check_range(*value, kPortRange)) {
    refuse(path, range_message(range, "port"));
    return;
  }
  target = static_cast<uint16_t>(*value);
}

void Walker::read_duration(const YAML::Node& node, const std::string& path, Duration& target) {
  if (!expect(node, path, YAML::NodeType::Scalar)) return;
  DurationParse parsed = parse_duration(node.Scalar());
  if (parsed.ok()) {
    target = parsed.value;
  } else {
    refuse(path, std::move(parsed.error));
  }
}

// The index of the value in `names`, or nothing after refusing it with the
// names allowed and the closest one.
std::optional<size_t> Walker::read_choice(const YAML::Node& node, const std::string& path,
                                          std::string_view what,
                                          std::span<const std::string_view> names) {
  if (!expect(node, path, YAML::NodeType::Scalar)) return std::nullopt;
  const std::string& name = node.Scalar();
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return i;
  }
  std::string expected;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) expected += i + 1 == names.size() ? " or " : ", ";
    expected += names[i];
  }
  std::string message = fmt::format("unknown {} {}; expected {}", what, in_quotes(name), expected);
  const std::string_view suggestion = closest_key(name, names);
  if (!suggestion.empty()) message += fmt::format(" (did you mean '{}'?)", suggestion);
  refuse(path, std::move(message));
  return std::nullopt;
}

void Walker::read_load_balancing(const YAML::Node& node, const std::string& path,
                                 LoadBalancing& target) {
  static constexpr std::array<std::string_view, 2> kNames{"round_robin", "least_connections"};
  static constexpr std::array<LoadBalancing, 2> kValues{LoadBalancing::kRoundRobin,
                                                        LoadBalancing::kLeastConnections};
  const std::optional<size_t> index = read_choice(node, path, "load balancing", kNames);
  if (index) target = kValues[*index];
}

// auto, or a boolean: true always splices, false never does.
void Walker::read_splice_mode(const YAML::Node& node, const std::string& path, SpliceMode& target) {
  static constexpr std::array<std::string_view, 3> kNames{"auto", "true", "false"};
  static constexpr std::array<SpliceMode, 3> kValues{SpliceMode::kAuto, SpliceMode::kAlways,
                                                     SpliceMode::kNever};
  const std::optional<size_t> index = read_choice(node, path, "splice mode", kNames);
  if (index) target = kValues[*index];
}

void Walker::read_access_log_format(const YAML::Node& node, const std::string& path,
                                    AccessLogFormat& target) {
  static constexpr std::array<std::string_view, 2> kNames{"text", "json"};
  static constexpr std::array<AccessLogFormat, 2> kValues{AccessLogFormat::kText,
                                                          AccessLogFormat::kJson};
  const std::optional<size_t> index = read_choice(node, path, "access log format", kNames);
  if (index) target = kValues[*index];
}

ParsedYaml parse_yaml(std::string_view yaml) {
  ParsedYaml out;
  try {
    const std::vector<YAML::Node> documents = load_all_documents(std::string(yaml));
    for (size_t i = 1; i < documents.size(); ++i) {
      if (documents[i].IsNull()) continue;  // a trailing "---" is harmless
      out.errors.push_back({"", line_of_mark(documents[i].Mark()),
                            "expected a single YAML document, found another one here"});
      return out;
    }
    if (!documents.empty()) Walker(out).document(documents.front());
  } catch (const YAML::Exception& e) {
    out.errors.push_back({"", line_of_mark(e.mark), "YAML syntax error: " + e.msg});
  }
  return out;
}

}  // namespace meshgate::config::detail

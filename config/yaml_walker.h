// The YAML walker: reads each key of a config document into the Config
// it fills, with the checked reader (yaml_reader.h) reporting shape and type
// errors with their path and line. Its sections are split over yaml_walk.cc,
// yaml_walk_dns.cc and yaml_walk_xds.cc. Internal to config/.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/key_path.h"
#include "config/validate.h"
#include "config/yaml_reader.h"
#include "config/yaml_walk.h"

namespace meshgate::config::detail {

using Reader = std::function<void(const YAML::Node& value, const std::string& path)>;

struct Field {
  std::string_view key;
  Reader read;
};

class Walker {
 public:
  explicit Walker(ParsedYaml& out) : out_(out), config_(out.config), reader_(kLimits) {}

  // Reads the document into out.config, and every error found into out.errors.
  void document(const YAML::Node& root);

 private:
  // A config file is at most kMaxConfigBytes; these only stop a runaway walk.
  static constexpr yaml::ReaderLimits kLimits{1'000'000, 1'000};
  static constexpr size_t kMaxItems = 10'000;  // in one list or map

  // The node at `path`, placed on the line of its key (the document: where it starts).
  yaml::Value at(const YAML::Node& node, const std::string& path) const;
  void top_level(const YAML::Node& root);
  // A value that was not stored: the default stays in its place.
  void refuse(const std::string& path, std::string message);
  // Records a value that a failed reader_ call left unread.
  void refused(const std::string& path) { out_.refused.push_back(path); }
  bool expect(const YAML::Node& node, const std::string& path, YAML::NodeType::value type);
  void mapping(const YAML::Node& node, const std::string& path, const std::vector<Field>& fields);
  // The items of a list, each with its line recorded.
  std::vector<yaml::Value> items(const YAML::Node& node, const std::string& path);

  void listeners(const YAML::Node& node, const std::string& path);
  void listener(const YAML::Node& node, const std::string& path, Listener& target);
  void discovery(const YAML::Node& node, const std::string& path);
  void files(const YAML::Node& node, const std::string& path);
  void file_source(const YAML::Node& node, const std::string& path, FileSource& target);
  void kubernetes(const YAML::Node& node, const std::string& path);
  // yaml_walk_xds.cc
  void xds(const YAML::Node& node, const std::string& path);
  void passthrough(const YAML::Node& node, const std::string& path);
  void tcp_keepalive(const YAML::Node& node, const std::string& path);
  void timeouts(const YAML::Node& node, const std::string& path);
  void limits(const YAML::Node& node, const std::string& path);
  void http(const YAML::Node& node, const std::string& path);
  void istiod(const YAML::Node& node, const std::string& path);
  void upstream(const YAML::Node& node, const std::string& path, Upstream& target);
  void access_log(const YAML::Node& node, const std::string& path);
  void outlier(const YAML::Node& node, const std::string& path);
  // yaml_walk_dns.cc
  void dns(const YAML::Node& node, const std::string& path);
  void dns_zones(const YAML::Node& node, const std::string& path);
  void dns_zone(const YAML::Node& node, const std::string& path, DnsZone& target);
  void dns_forward(const YAML::Node& node, const std::string& path);
  void read_dns_answer(const YAML::Node& node, const std::string& path, DnsAnswer& target);
  // Also read by discovery.kubernetes.
  void read_string_list(const YAML::Node& node, const std::string& path,
                        std::vector<std::string>& target);
  void read_string_map(const YAML::Node& node, const std::string& path,
                       std::map<std::string, std::string>& target);

  void read_string(const YAML::Node& node, const std::string& path, std::string& target);
  void read_bool(const YAML::Node& node, const std::string& path, bool& target);
  std::optional<int64_t> read_integer(const YAML::Node& node, const std::string& path,
                                      IntRange range, std::string_view what);
  void read_uint32(const YAML::Node& node, const std::string& path, IntRange range,
                   uint32_t& target);
  void read_port(const YAML::Node& node, const std::string& path, IntRange range, uint16_t& target);
  void read_duration(const YAML::Node& node, const std::string& path, Duration& target);
  std::optional<size_t> read_choice(const YAML::Node& node, const std::string& path,
                                    std::string_view what, std::span<const std::string_view> names);
  void read_load_balancing(const YAML::Node& node, const std::string& path, LoadBalancing& target);
  void read_splice_mode(const YAML::Node& node, const std::string& path, SpliceMode& target);
  void read_access_log_format(const YAML::Node& node, const std::string& path,
                              AccessLogFormat& target);

  ParsedYaml& out_;
  Config& config_;
  yaml::Reader reader_;
};

}  // namespace meshgate::config::detail

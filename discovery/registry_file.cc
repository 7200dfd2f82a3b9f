#include "discovery/registry_file.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "config/yaml_documents.h"
#include "config/yaml_reader.h"
#include "discovery/names.h"

namespace meshgate::discovery {
namespace {

namespace yaml = config::yaml;

using yaml::Fields;
using yaml::Value;

constexpr std::string_view kDocumentKeys[] = {"services", "aliases"};
constexpr std::string_view kServiceKeys[] = {"name",  "namespace", "hostnames",
                                             "ports", "subsets",   "endpoints"};
constexpr std::string_view kPortKeys[] = {"name", "port", "target_port"};
constexpr std::string_view kSubsetKeys[] = {"name", "labels"};
constexpr std::string_view kEndpointKeys[] = {"address", "ports",  "labels",
                                              "network", "weight", "mtls"};
constexpr std::string_view kAliasKeys[] = {"host", "addresses", "service"};
constexpr std::string_view kServiceRefKeys[] = {"name", "namespace"};

constexpr uint64_t kMaxPort = 65535;
constexpr uint64_t kMaxWeight = 1000;

using Check = bool (*)(std::string_view);

class Parser {
 public:
  explicit Parser(const RegistryFileLimits& limits)
      : limits_(limits), reader_(yaml::ReaderLimits{limits.max_values, limits.max_errors}) {}

  void document(const Value& root);
  yaml::Reader& reader() { return reader_; }
  SourceState take_state() { return std::move(state_); }

 private:
  void services(const Value& list);
  std::optional<Service> service(const Value& value);
  void hostnames(const Fields& fields, Service& service);
  void ports(const Fields& fields, Service& service);
  std::optional<ServicePort> port(const Value& value);
  void subsets(const Fields& fields, Service& service);
  void endpoints(const Fields& fields, Service& service);
  std::optional<Endpoint> endpoint(const Value& value, const std::vector<ServicePort>& ports);
  std::map<std::string, uint16_t> port_overrides(const Value& value,
                                                 const std::vector<ServicePort>& ports);
  Labels labels(const Value& value);
  void aliases(const Value& list);
  std::optional<HostAlias> alias(const Value& value);
  bool alias_service(const Value& value, HostAlias& alias);

  // A string that passes `check`; `what` names the rule broken.
  std::optional<std::string> checked(const Value& value, Check check, std::string_view what);
  std::optional<std::string> checked(const Fields& fields, std::string_view key, Check check,
                                     std::string_view what);

  const RegistryFileLimits& limits_;
  yaml::Reader reader_;
  SourceState state_;
  size_t endpoint_count_ = 0;
  std::set<std::pair<std::string, std::string>> service_keys_;  // (namespace, name)
  std::set<std::string> hostnames_;
};

constexpr std::string_view kDnsLabel = "must be a DNS-1123 label (a-z, 0-9, '-'; at most 63)";
constexpr std::string_view kDnsName = "must be a lower-case DNS name";
constexpr std::string_view kIp = "must be an IPv4 or IPv6 address literal";

std::optional<std::string> Parser::checked(const Value& value, Check check, std::string_view what) {
  std::optional<std::string> text = reader_.string(value);
  if (text && !check(*text)) {
    reader_.fail(value, std::string(what));
    return std::nullopt;
  }
  return text;
}

std::optional<std::string> Parser::checked(const Fields& fields, std::string_view key, Check check,
                                           std::string_view what) {
  std::optional<Value> value = reader_.required(fields, key);
  if (!value) return std::nullopt;
  return checked(*value, check, what);
}

void Parser::document(const Value& root) {
  if (root.node.IsNull()) return;  // an empty file: no services, no aliases
  std::optional<Fields> fields = reader_.mapping(root, kDocumentKeys);
  if (!fields) return;
  // Services first, whatever the key order: aliases refer to them.
  if (auto list = fields->get("services")) services(*list);
  if (auto list = fields->get("aliases")) aliases(*list);
}

void Parser::services(const Value& list) {
  for (const Value& value : reader_.sequence(list, limits_.max_services)) {
    std::optional<Service> parsed = service(value);
    if (!parsed) continue;
    if (!service_keys_.emplace(parsed->ns, parsed->name).second) {
      reader_.fail(value, fmt::format("duplicate service {}/{}", parsed->ns, parsed->name));
      continue;
    }
    state_.services.push_back(std::move(*parsed));
  }
}

std::optional<Service> Parser::service(const Value& value) {
  std::optional<Fields> fields = reader_.mapping(value, kServiceKeys);
  if (!fields) return std::nullopt;
  std::optional<std::string> name = checked(*fields, "name", is_dns1123_label, kDnsLabel);
  std::optional<std::string> ns = checked(*fields, "namespace", is_dns1123_label, kDnsLabel);
  Service service;
  hostnames(*fields, service);
  ports(*fields, service);
  subsets(*fields, service);
  endpoints(*fields, service);
  if (!name || !ns) return std::nullopt;
  service.name = std::move(*name);
  service.ns = std::move(*ns);
  return service;
}

void Parser::hostnames(const Fields& fields, Service& service) {
  std::optional<Value> list = fields.get("hostnames");
  if (!list) return;
  for (const Value& value : reader_.sequence(*list, limits_.max_hostnames)) {
    std::optional<std::string> host = checked(value, is_dns_name, kDnsName);
    if (!host) continue;
    // One host routes to one service: unique across the whole file.
    if (!hostnames_.insert(*host).second) {
      reader_.fail(value, fmt::format("hostname {} is used twice", *host));
      continue;
    }
    service.hostnames.push_back(std::move(*host));
  }
}

void Parser::ports(const Fields& fields, Service& service) {
  std::optional<Value> list = reader_.required(fields, "ports");
  if (!list) return;
  if (list->node.IsSequence() && list->node.size() == 0) {
    reader_.fail(*list, "at least one port is required");
  }
  std::set<uint16_t> numbers;
  std::set<std::string> names;
  for (const Value& value : reader_.sequence(*list, limits_.max_ports)) {
    std::optional<ServicePort> parsed = port(value);
    if (!parsed) continue;
    if (!numbers.insert(parsed->number).second) {
      reader_.fail(value, fmt::format("duplicate port number {}", parsed->number));
    } else if (!parsed->name.empty() && !names.insert(parsed->name).second) {
      reader_.fail(value, fmt::format("duplicate port name {}", parsed->name));
    } else {
      service.ports.push_back(std::move(*parsed));
    }
  }
}

std::optional<ServicePort> Parser::port(const Value& value) {
  std::optional<Fields> fields = reader_.mapping(value, kPortKeys);
  if (!fields) return std::nullopt;
  ServicePort port;
  bool ok = true;
  if (auto name = fields->get("name")) {
    std::optional<std::string> text = checked(*name, is_dns1123_label, kDnsLabel);
    ok = text.has_value();
    if (text) port.name = std::move(*text);
  }
  std::optional<Value> number = reader_.required(*fields, "port");
  std::optional<uint64_t> parsed = number ? reader_.number(*number, 1, kMaxPort) : std::nullopt;
  if (!parsed) return std::nullopt;
  port.number = static_cast<uint16_t>(*parsed);
  if (auto target = fields->get("target_port")) {
    // 0 is accepted and means "same as port", as when the key is absent.
    std::optional<uint64_t> target_number = reader_.number(*target, 0, kMaxPort);
    ok = ok && target_number.has_value();
    port.target_port = static_cast<uint16_t>(target_number.value_or(0));
  }
  if (!ok) return std::nullopt;
  return port;
}

void Parser::subsets(const Fields& fields, Service& service) {
  std::optional<Value> list = fields.get("subsets");
  if (!list) return;
  std::set<std::string> names;
  for (const Value& value : reader_.sequence(*list, limits_.max_subsets)) {
    std::optional<Fields> subset_fields = reader_.mapping(value, kSubsetKeys);
    if (!subset_fields) continue;
    std::optional<std::string> name = checked(*subset_fields, "name", is_dns1123_label, kDnsLabel);
    std::optional<Value> selector = reader_.required(*subset_fields, "labels");
    Labels selected = selector ? labels(*selector) : Labels{};
    if (selector && selected.empty()) reader_.fail(*selector, "at least one label is required");
    if (!name) continue;
    if (!names.insert(*name).second) {
      reader_.fail(value, fmt::format("duplicate subset {}", *name));
      continue;
    }
    service.subsets.push_back(Subset{std::move(*name), std::move(selected)});
  }
}

void Parser::endpoints(const Fields& fields, Service& service) {
  std::optional<Value> list = fields.get("endpoints");
  if (!list) return;
  if (list->node.IsSequence() && endpoint_count_ + list->node.size() > limits_.max_endpoints) {
    reader_.fail(*list, fmt::format("more than {} endpoints in the file", limits_.max_endpoints));
    return;
  }
  for (const Value& value : reader_.sequence(*list, limits_.max_endpoints)) {
    ++endpoint_count_;
    std::optional<Endpoint> parsed = endpoint(value, service.ports);
    if (parsed) service.endpoints.push_back(std::move(*parsed));
  }
}

std::optional<Endpoint> Parser::endpoint(const Value& value,
                                         const std::vector<ServicePort>& ports) {
  std::optional<Fields> fields = reader_.mapping(value, kEndpointKeys);
  if (!fields) return std::nullopt;
  Endpoint endpoint;
  std::optional<std::string> address = checked(*fields, "address", is_ip_literal, kIp);
  if (address) endpoint.address = std::move(*address);
  if (auto overrides = fields->get("ports")) endpoint.ports = port_overrides(*overrides, ports);
  if (auto labelled = fields->get("labels")) endpoint.labels = labels(*labelled);

  auto label = endpoint.labels.find(kNetworkLabel);
  if (label != endpoint.labels.end()) endpoint.network = label->second;
  if (auto network = fields->get("network")) {
    std::optional<std::string> text =
        checked(*network, is_label_value, "must be a Kubernetes label value");
    endpoint.network = text.value_or("");
  }
  if (auto weight = fields->get("weight")) {
    endpoint.weight = static_cast<uint32_t>(reader_.number(*weight, 1, kMaxWeight).value_or(1));
  }
  label = endpoint.labels.find(kTlsModeLabel);
  endpoint.mtls_capable = label != endpoint.labels.end() && label->second == "istio";
  if (auto mtls = fields->get("mtls")) {
    endpoint.mtls_capable = reader_.boolean(*mtls).value_or(false);
  }
  if (!address) return std::nullopt;
  return endpoint;
}

std::map<std::string, uint16_t> Parser::port_overrides(const Value& value,
                                                       const std::vector<ServicePort>& ports) {
  std::map<std::string, uint16_t> overrides;
  for (auto& [name, number] : reader_.entries(value, limits_.max_ports)) {
    auto named = [&name = name](const ServicePort& port) {
      return !port.name.empty() && port.name == name;
    };
    if (std::none_of(ports.begin(), ports.end(), named)) {
      reader_.fail(number, "no service port has this name");
      continue;
    }
    std::optional<uint64_t> parsed = reader_.number(number, 1, kMaxPort);
    if (parsed) overrides.emplace(name, static_cast<uint16_t>(*parsed));
  }
  return overrides;
}

Labels Parser::labels(const Value& value) {
  Labels result;
  for (auto& [key, entry] : reader_.entries(value, limits_.max_labels)) {
    if (!is_label_key(key)) {
      reader_.fail(entry, "invalid label key ([DNS prefix/]name; name at most 63 characters)");
      continue;
    }
    std::optional<std::string> text =
        checked(entry, is_label_value, "invalid label value (at most 63 characters)");
    if (text) result.emplace(key, std::move(*text));
  }
  return result;
}

void Parser::aliases(const Value& list) {
  std::set<std::string> hosts;
  for (const Value& value : reader_.sequence(list, limits_.max_aliases)) {
    std::optional<HostAlias> parsed = alias(value);
    if (!parsed) continue;
    if (!hosts.insert(parsed->host).second) {
      reader_.fail(value, fmt::format("duplicate alias host {}", parsed->host));
      continue;
    }
    state_.aliases.push_back(std::move(*parsed));
  }
}

std::optional<HostAlias> Parser::alias(const Value& value) {
  std::optional<Fields> fields = reader_.mapping(value, kAliasKeys);
  if (!fields) return std::nullopt;
  HostAlias alias;
  std::optional<std::string> host =
      checked(*fields, "host", is_host_pattern, "must be a lower-case DNS name or *.<DNS name>");
  if (auto list = fields->get("addresses")) {
    for (const Value& item : reader_.sequence(*list, limits_.max_addresses)) {
      std::optional<std::string> address = checked(item, is_ip_literal, kIp);
      if (address) alias.addresses.push_back(std::move(*address));
    }
  }
  bool service_ok = true;
  if (auto service = fields->get("service")) service_ok = alias_service(*service, alias);
  if (!host || !service_ok) return std::nullopt;
  alias.host = std::move(*host);
  return alias;
}

bool Parser::alias_service(const Value& value, HostAlias& alias) {
  std::optional<Fields> fields = reader_.mapping(value, kServiceRefKeys);
  if (!fields) return false;
  std::optional<std::string> name = checked(*fields, "name", is_dns1123_label, kDnsLabel);
  std::optional<std::string> ns = checked(*fields, "namespace", is_dns1123_label, kDnsLabel);
  if (!name || !ns) return false;
  if (!service_keys_.contains({*ns, *name})) {
    reader_.fail(value, fmt::format("no service {}/{} in this file", *ns, *name));
    return false;
  }
  alias.service_name = std::move(*name);
  alias.service_namespace = std::move(*ns);
  return true;
}

int line_of(const YAML::Mark& mark) {
  return mark.is_null() ? 1 : mark.line + 1;
}

// The one document of the file; null if there is none.
YAML::Node load(std::string_view yaml, base::Errors& errors) {
  std::vector<YAML::Node> documents = config::load_all_documents(std::string(yaml));
  if (documents.size() > 1) {
    errors.push_back({"", line_of(documents[1].Mark()), "the file must hold one YAML document"});
  }
  return documents.empty() ? YAML::Node() : documents.front();
}

}  // namespace

RegistryFileResult parse_registry_file(std::string_view yaml) {
  return parse_registry_file(yaml, RegistryFileLimits{});
}

RegistryFileResult parse_registry_file(std::string_view yaml, const RegistryFileLimits& limits) {
  RegistryFileResult result;
  Parser parser(limits);
  try {
    YAML::Node root = load(yaml, result.errors);
    if (result.errors.empty()) {
      parser.document(yaml::root(root));
      result.errors = parser.reader().take_errors();
    }
  } catch (const yaml::StopParsing& stop) {
    result.errors = parser.reader().take_errors();
    result.errors.push_back(stop.error);
  } catch (const YAML::ParserException& error) {
    result.errors = {{"", line_of(error.mark), "syntax error: " + error.msg}};
  } catch (const YAML::Exception& error) {
    result.errors = {{"", line_of(error.mark), "error: " + error.msg}};
  } catch (const std::exception& error) {
    result.errors = {{"", 1, std::string("error: ") + error.what()}};
  }
  if (result.errors.empty()) result.state = parser.take_state();
  return result;
}

}  // namespace meshgate::discovery

#include "discovery/xds/xds_source.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <stdexcept>

namespace meshgate::discovery::xds {

XdsClientOptions client_options(const config::Config& config, std::string_view version) {
  const config::XdsSource& xds = config.discovery.xds;
  XdsClientOptions options;
  options.address = xds.address;
  options.server_name = xds.server_name;
  options.root_cert_file = xds.root_cert;
  options.token_file = xds.token_file;
  options.cluster_id = xds.cluster_id;
  NodeIdentity& node = options.node;
  node.pod_name = xds.pod_name;
  node.pod_namespace = xds.pod_namespace;
  node.pod_ip = xds.pod_ip;
  node.cluster_id = xds.cluster_id;
  node.network = config.network;
  node.mesh_id = xds.mesh_id;
  node.istio_version = xds.istio_version;
  node.service_account = xds.service_account;
  node.cluster_domain = config.cluster_domain;
  node.labels = xds.labels;
  // Unset, it is this gateway's own network, as Istio's gateway chart sets
  // it: without one istiod would also send the endpoints of other networks,
  // which this gateway cannot reach.
  node.requested_network_view = xds.requested_network_view;
  if (node.requested_network_view.empty()) node.requested_network_view = {config.network};
  node.user_agent_version = std::string(version);
  return options;
}

XdsSource::XdsSource(const config::Config& config, std::string_view version, Registry& registry)
    : registry_(registry) {
  XdsClientOptions options = client_options(config, version);
  if (auto problem = check_identity(options.node)) {
    throw std::runtime_error(fmt::format(
        "discovery.xds.{}: {} (set it in the config, or POD_NAME, POD_NAMESPACE and INSTANCE_IP "
        "from the downward API)",
        problem->path, problem->message));
  }
  address_ = options.address;
  const config::XdsSource& xds = config.discovery.xds;
  translate_options_ = {
      xds.passthrough_port, {xds.istiod_port, xds.webhook_port}, config.cluster_domain};
  net::dns::AresOptions resolver;
  resolver.servers = xds.resolvers;
  resolver.key = "discovery.xds.resolvers";
  dns_ = std::make_unique<DnsRefresher>(
      resolver,
      [this](const DnsAnswers& answers, uint64_t generation) { on_answers(answers, generation); });
  registry_.add_source(kName);
  client_ = std::make_unique<XdsClient>(
      std::move(options),
      [this](const XdsStatePtr& state, bool complete) { on_state(state, complete); });
}

XdsSource::~XdsSource() {
  stop();
}

void XdsSource::start() {
  spdlog::info("xds: discovery from istiod at {}", address_);
  dns_->start();
  client_->start();
}

void XdsSource::stop() {
  client_->stop();
  dns_->stop();
}

namespace {

std::vector<std::string> unserved_chains(const XdsState& state) {
  std::vector<std::string> out;
  for (const auto& [name, listener] : state.listeners) {
    for (const Chain& chain : listener.chains) {
      if (!chain.unserved || out.size() >= kMaxUnservedShown) continue;
      out.push_back(fmt::format("{} {}: {} ({})", name, chain.name, unserved_name(*chain.unserved),
                                chain.detail));
    }
  }
  return out;
}

}  // namespace

void XdsSource::on_state(const XdsStatePtr& state, bool complete) {
  if (!complete) return;  // the registry waits for everything istiod has to say
  std::vector<DnsWant> wants = dns_wants(*state);
  std::lock_guard lock(publish_mutex_);
  state_ = state;
  ++generation_;
  const bool resolve = !wants.empty();
  dns_->want(std::move(wants), generation_);
  if (!resolve) publish(nullptr);  // else on_answers() publishes
}

void XdsSource::on_answers(const DnsAnswers& answers, uint64_t generation) {
  std::lock_guard lock(publish_mutex_);
  // Answers for an older state's names would leave the new state's unresolved.
  if (generation == generation_ && state_) publish(&answers);
}

void XdsSource::publish(const DnsAnswers* answers) {
  Translated translated = translate(*state_, translate_options_, answers);
  std::vector<std::string> unserved = unserved_chains(*state_);
  {
    std::lock_guard lock(mutex_);
    translate_ = translated.stats;
    unserved_ = std::move(unserved);
    ++publishes_;
    services_ = translated.state.services.size();
  }
  registry_.update(kName, std::move(translated.state));
}

XdsSourceStats XdsSource::stats() const {
  XdsSourceStats out;
  out.client = client_->stats();
  out.dns = dns_->stats();
  std::lock_guard lock(mutex_);
  out.translate = translate_;
  out.publishes = publishes_;
  out.services = services_;
  out.unserved = unserved_;
  return out;
}

}  // namespace meshgate::discovery::xds

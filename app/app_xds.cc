// App: discovery from istiod over xDS, when discovery.xds.enabled.
#include <spdlog/spdlog.h>

#include <stdexcept>

#include "app/app.h"

namespace meshgate::app {

void App::create_xds() {
  if (config_->discovery.xds.enabled) {
    xds_ = std::make_unique<discovery::xds::XdsSource>(*config_, MESHGATE_VERSION, registry_);
  }
}

void App::start_xds() {
  if (xds_) xds_->start();
}

void App::stop_xds() {
  if (xds_) xds_->stop();
}

// A changed section replaces the client: the new one starts with a new
// stream, and until its first complete push the registry keeps the old
// one's state (same source name). Turned off: its services leave.
void App::reconfigure_xds(const config::Config& previous) {
  if (previous.discovery.xds == config_->discovery.xds && previous.network == config_->network &&
      previous.cluster_domain == config_->cluster_domain) {
    return;
  }
  std::unique_ptr<discovery::xds::XdsSource> next;
  if (config_->discovery.xds.enabled) {
    try {
      next = std::make_unique<discovery::xds::XdsSource>(*config_, MESHGATE_VERSION, registry_);
    } catch (const std::exception& e) {
      spdlog::error("reload: {}; the running xDS discovery stays", e.what());
      return;
    }
  }
  const bool was_running = xds_ != nullptr;
  stop_xds();
  xds_ = std::move(next);
  if (xds_) {
    xds_->start();
  } else if (was_running) {
    registry_.remove_source(discovery::xds::XdsSource::kName);
  }
}

}  // namespace meshgate::app

#include "gateway/run.h"

#include <spdlog/spdlog.h>

#include <sys/resource.h>

#include <csignal>
#include <memory>
#include <system_error>
#include <vector>

#include "config/loader.h"
#include "discovery/file_source.h"
#include "discovery/registry.h"
#include "gateway/file_poller.h"
#include "gateway/gateway.h"

namespace meshgate::gateway {
namespace {

std::shared_ptr<const config::Config> load(const std::string& file) {
  if (file.empty()) {
    spdlog::info("config: embedded default (demo registry {})", config::demo_registry_path());
    return std::make_shared<const config::Config>(config::default_config());
  }
  config::LoadResult result = config::load_config_file(file);
  for (const auto& error : result.errors) {
    spdlog::critical("config: {}", config::format_error(file, error));
  }
  return result.config;
}

// Each connection holds two descriptors. Take the hard limit, and say so
// when even that cannot hold limits.max_connections.
void raise_descriptor_limit(const config::Config& config) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  const rlim_t wanted = 2 * rlim_t{config.limits.max_connections} + 64;
  if (limit.rlim_cur < wanted) {
    spdlog::warn(
        "descriptor limit {} is below the {} that limits.max_connections {} needs; "
        "connections past it fail as no_descriptors",
        limit.rlim_cur, wanted, config.limits.max_connections);
  }
}

}  // namespace

int run_gateway(const std::string& config_file) {
  const auto config = load(config_file);
  if (!config) return 1;
  raise_descriptor_limit(*config);

  discovery::Registry registry;
  asio::io_context control(1);
  std::vector<std::unique_ptr<discovery::FileSource>> sources;
  std::vector<std::unique_ptr<FilePoller>> pollers;
  for (const config::FileSource& file : config->discovery.files) {
    auto& source =
        sources.emplace_back(std::make_unique<discovery::FileSource>(file.path, registry));
    // A bad file at start-up is logged by the source; it serves nothing until fixed.
    source->reload();
    pollers.push_back(std::make_unique<FilePoller>(control, *source, file.poll_interval));
  }

  Gateway gateway(config, registry);
  try {
    gateway.start();
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
  for (auto& poller : pollers)
    poller->start();

  asio::signal_set signals(control, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("signal {}: shutting down", signal);
    for (auto& poller : pollers)
      poller->stop();
    gateway.stop();
  });
  control.run();
  const StatsSnapshot stats = gateway.stats();
  spdlog::info("stopped after {} connections", stats.accepted);
  return 0;
}

}  // namespace meshgate::gateway

#include "gateway/run.h"

#include <spdlog/spdlog.h>

#include <sys/resource.h>

#include <memory>

#include "config/loader.h"
#include "config/overrides.h"
#include "gateway/app.h"

namespace meshgate::gateway {
namespace {

std::shared_ptr<const config::Config> load(const std::string& file) {
  if (file.empty()) {
    spdlog::info("config: embedded default (demo registry {})", config::demo_registry_path());
  }
  const config::LoadResult result = config::load_effective_config(file);
  const config::Overrides overrides = config::overrides_from_environment();
  if (overrides.network && result.ok()) {
    spdlog::info("config: network {} (from MESHGATE_NETWORK)", *overrides.network);
  }
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
  std::unique_ptr<App> app;
  try {
    app = std::make_unique<App>(config, config_file);
    app->start();
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
  app->handle_signals();
  app->run();
  const StatsSnapshot stats = app->gateway().stats();
  spdlog::info("stopped after {} passthrough connections", stats.accepted);
  return 0;
}

}  // namespace meshgate::gateway

#include "app/run.h"

#include <spdlog/spdlog.h>

#include <sys/resource.h>

#include <memory>

#include "app/app.h"
#include "config/loader.h"
#include "config/overrides.h"

namespace meshgate::app {
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
    spdlog::critical("config: {}", base::format_error(file, error));
  }
  return result.config;
}

// Each connection holds two descriptors (and a splice pipe two more while it
// moves bytes): take the hard limit. The gateway plans its budget from what
// this leaves (gateway/descriptor_budget.h) and logs it.
void raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int run_gateway(const std::string& config_file) {
  const auto config = load(config_file);
  if (!config) return 1;
  raise_descriptor_limit();
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
  const gateway::StatsSnapshot stats = app->gateway().stats();
  spdlog::info("stopped after {} passthrough connections", stats.accepted);
  return 0;
}

}  // namespace meshgate::app

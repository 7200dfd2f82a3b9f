// The whole gateway process in a test: a app::App with its control loop
// on a thread, a temporary directory for its config and registry files, and
// a small HTTP client for the health, metrics and admin ports.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "app/app.h"
#include "config/config.h"

namespace meshgate::testing {

struct HttpResult {
  int status = 0;  // 0: no answer
  std::string body;
};

// GET `target` from 127.0.0.1:port (Connection: close), bounded by 5 s.
HttpResult http_get(uint16_t port, const std::string& target);

// The value of one exact series ("name{labels}") in a Prometheus page, or -1.
double metric(const std::string& page, const std::string& series);

// A temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  // Writes `content` to path()/name atomically (rename) and returns its path.
  std::string write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

class AppUnderTest {
 public:
  // `config_path` empty: `config` is used as is and reload() only re-reads
  // registry files.
  explicit AppUnderTest(config::Config config, std::string config_path = "");
  // Loads the config from `config_path` (which must be valid).
  static std::unique_ptr<AppUnderTest> from_file(const std::string& config_path);
  ~AppUnderTest();  // stops at once if still running

  app::App& app() { return *app_; }
  uint16_t port(gateway::ListenerKind kind) const { return app_->endpoint(kind).port(); }
  uint16_t port(app::HttpPort port) const { return app_->endpoint(port).port(); }
  HttpResult get(app::HttpPort port, const std::string& target) const {
    return http_get(this->port(port), target);
  }
  std::string scrape() const { return get(app::HttpPort::kMetrics, "/stats/prometheus").body; }
  double metric(const std::string& series) const { return testing::metric(scrape(), series); }
  // Waits (bounded) until the control loop has returned, after drain() or
  // stop_now().
  bool wait_exited(std::chrono::milliseconds limit = std::chrono::seconds(10));

 private:
  std::unique_ptr<app::App> app_;
  std::thread thread_;
  std::atomic<bool> exited_{false};
};

// A service `name`.`ns` with one port (named tls) and 127.0.0.1 endpoints
// (mTLS-capable, on the gateway's network) listening on `endpoint_ports`.
struct ServiceSpec {
  std::string name;
  std::string ns;
  uint16_t port = 0;
  std::vector<uint16_t> endpoint_ports;
};

// A registry file holding `services`.
std::string registry_yaml(const std::vector<ServiceSpec>& services);

}  // namespace meshgate::testing

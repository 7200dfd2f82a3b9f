#include "tests/support/app_harness.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "config/loader.h"
#include "tests/support/harness.h"
#include "tests/support/socket.h"

namespace meshgate::testing {

HttpResult http_get(uint16_t port, const std::string& target) {
  Socket socket = Socket::connect("127.0.0.1", port);
  if (!socket.valid()) return {};
  if (!socket.send_all("GET " + target + " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")) {
    return {};
  }
  const std::string response = socket.read_to_eof(16 << 20);
  HttpResult result;
  if (response.size() < 12 || !response.starts_with("HTTP/1.1 ")) return result;
  result.status = std::stoi(response.substr(9, 3));
  const std::size_t body = response.find("\r\n\r\n");
  if (body != std::string::npos) result.body = response.substr(body + 4);
  return result;
}

double metric(const std::string& page, const std::string& series) {
  const std::string key = series + " ";
  for (std::size_t at = 0; at < page.size();) {
    const std::size_t end = std::min(page.find('\n', at), page.size());
    if (page.compare(at, key.size(), key) == 0) {
      return std::stod(page.substr(at + key.size(), end - at - key.size()));
    }
    at = end + 1;
  }
  return -1;
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "meshgate-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& name, const std::string& content) const {
  const std::string target = path_ + "/" + name;
  const std::string temporary = target + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << content;
  }
  std::filesystem::rename(temporary, target);
  return target;
}

AppUnderTest::AppUnderTest(config::Config config, std::string config_path)
    : app_(std::make_unique<app::App>(std::make_shared<const config::Config>(std::move(config)),
                                      std::move(config_path))) {
  app_->start();
  thread_ = std::thread([this] {
    app_->run();
    exited_ = true;
  });
}

std::unique_ptr<AppUnderTest> AppUnderTest::from_file(const std::string& config_path) {
  config::LoadResult loaded = config::load_config_file(config_path);
  if (!loaded.config) {
    throw std::runtime_error("bad test config: " +
                             base::format_error(config_path, loaded.errors.front()));
  }
  return std::make_unique<AppUnderTest>(*loaded.config, config_path);
}

AppUnderTest::~AppUnderTest() {
  app_->stop_now();
  if (thread_.joinable()) thread_.join();
}

bool AppUnderTest::wait_exited(std::chrono::milliseconds limit) {
  return poll_until([this] { return exited_.load(); }, limit);
}

std::string registry_yaml(const std::vector<ServiceSpec>& services) {
  std::string yaml = "services:\n";
  for (const ServiceSpec& service : services) {
    yaml += "  - name: " + service.name + "\n    namespace: " + service.ns +
            "\n    ports:\n      - {name: tls, port: " + std::to_string(service.port) +
            "}\n    endpoints:\n";
    for (uint16_t endpoint_port : service.endpoint_ports) {
      yaml += "      - address: 127.0.0.1\n        ports: {tls: " + std::to_string(endpoint_port) +
              "}\n        labels: {security.istio.io/tlsMode: istio}\n";
    }
  }
  return yaml;
}

}  // namespace meshgate::testing

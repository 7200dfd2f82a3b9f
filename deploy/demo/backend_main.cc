// meshgate-demo-backend: the workloads behind the demo registry
// (deploy/demo/registry.yaml). Makes a throwaway CA, writes its certificate
// (and a client certificate for mTLS) to --dir, and serves
//   httpbin v1 on 127.0.0.1:9443, httpbin v2 on :9444, reviews v1 on :9445
// until SIGINT or SIGTERM. With --ephemeral every backend binds port 0
// instead and the ports it got are written to <dir>/ports as "<name> <port>"
// lines (for tests, which never use fixed ports). --address IP binds another
// address than 127.0.0.1 (the multi-network test puts the backends on an
// address inside a network namespace).
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "deploy/demo/pki.h"
#include "deploy/demo/tls_backend.h"

namespace {

using meshgate::demo::CertifiedKey;

struct Workload {
  const char* name;
  uint16_t port;
  const char* service;  // <name>.<namespace>
  uint16_t service_port;
  std::vector<std::string> subsets;
};

// The names a client may verify: the service's host names and every SNI
// Istio would use for it, so `curl https://outbound_...` verifies too.
std::vector<std::string> dns_names(const Workload& w) {
  const std::string svc = std::string(w.service) + ".svc.cluster.local";
  const std::string global = std::string(w.service) + ".global";
  const std::string port = std::to_string(w.service_port);
  std::vector<std::string> names = {svc, global};
  std::vector<std::string> subsets = w.subsets;
  subsets.push_back("");
  for (const std::string& subset : subsets) {
    const std::string prefix =
        "outbound_." + port + "_." + (subset.empty() ? "_" : subset + "_") + ".";
    names.push_back(prefix + svc);
    names.push_back(prefix + global);
  }
  return names;
}

struct Options {
  std::filesystem::path dir = "demo-certs";
  bool ephemeral = false;
  meshgate::asio::ip::address address = meshgate::asio::ip::make_address_v4("127.0.0.1");
};

// False on a usage error (the message is printed).
bool parse_options(int argc, char** argv, Options& options) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--dir" && i + 1 < argc) {
      options.dir = argv[++i];
    } else if (arg == "--ephemeral") {
      options.ephemeral = true;
    } else if (arg == "--address" && i + 1 < argc) {
      boost::system::error_code ec;
      options.address = meshgate::asio::ip::make_address(argv[++i], ec);
      if (ec) {
        std::fprintf(stderr, "meshgate-demo-backend: --address %s: not an IP literal\n", argv[i]);
        return false;
      }
    } else {
      std::fprintf(stderr,
                   "usage: meshgate-demo-backend [--dir DIR] [--ephemeral] [--address IP]\n");
      return false;
    }
  }
  return true;
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse_options(argc, argv, options)) return 2;
  const std::filesystem::path& dir = options.dir;
  try {
    std::filesystem::create_directories(dir);
    const CertifiedKey ca = meshgate::demo::make_ca("meshgate demo CA");
    const std::vector<std::string> no_names;
    const CertifiedKey client = meshgate::demo::make_leaf(ca, "vm-client.demo", no_names);
    write_file(dir / "ca.pem", ca.cert_pem);
    write_file(dir / "client.pem", client.cert_pem);
    write_file(dir / "client-key.pem", client.key_pem);

    meshgate::asio::io_context io(1);
    const std::vector<Workload> workloads = {
        {"httpbin-v1", 9443, "httpbin.bar", 8000, {"v1", "v2"}},
        {"httpbin-v2", 9444, "httpbin.bar", 8000, {"v1", "v2"}},
        {"reviews-v1", 9445, "reviews.default", 9080, {}},
    };
    std::vector<std::unique_ptr<meshgate::demo::TlsBackend>> backends;
    std::string ports;
    for (const Workload& w : workloads) {
      const CertifiedKey leaf = meshgate::demo::make_leaf(ca, w.service, dns_names(w));
      auto& backend = backends.emplace_back(std::make_unique<meshgate::demo::TlsBackend>(
          io, meshgate::demo::TlsBackendOptions{w.name, leaf.cert_pem, leaf.key_pem, ca.cert_pem}));
      const auto bound =
          backend->listen({options.address, options.ephemeral ? uint16_t{0} : w.port});
      backend->start();
      ports += std::string(w.name) + " " + std::to_string(bound.port()) + "\n";
      spdlog::info("demo backend {} on {}:{}", w.name, bound.address().to_string(), bound.port());
    }
    write_file(dir / "ports", ports);
    spdlog::info("demo CA certificate: {}", (dir / "ca.pem").string());
    meshgate::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int) {
      for (auto& backend : backends)
        backend->stop();
      io.stop();
    });
    io.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "meshgate-demo-backend: %s\n", e.what());
    return 1;
  }
  return 0;
}

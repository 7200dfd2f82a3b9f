// meshgate-test-apiserver: the stand-in Kubernetes API server as a process,
// for tests written in shell (the multi-network test runs the real gateway
// binary against it). It serves on 127.0.0.1 port 0 with a throwaway CA and
// the objects of one file, writes a kubeconfig for itself, and runs until
// SIGTERM, SIGINT or its lifetime ends.
//
//   meshgate-test-apiserver --objects FILE --out DIR [--lifetime SECONDS]
//
// FILE: one object per line, "<collection> <object JSON>", e.g.
//   /api/v1/namespaces {"apiVersion":"v1","kind":"Namespace",...}
// Blank lines and lines starting with '#' are skipped. DIR/kubeconfig
// appears (renamed into place, so never half written) once every object is
// served. Exit 0 on a signal or at the end of the lifetime (default 300 s);
// 1 on a bad file or failure; 2 on a usage error.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "deploy/demo/pki.h"
#include "tests/support/kube_apiserver.h"
#include "tests/support/process_main.h"

namespace {

namespace fs = std::filesystem;
using meshgate::testing::KubeApiServer;

struct Args {
  std::string objects;
  fs::path out;
  long lifetime_seconds = 300;
};

std::optional<Args> parse_args(int argc, char** argv) {
  Args args;
  const bool ok = meshgate::testing::process::for_each_flag(
      argc, argv, [&](const std::string& name, const std::string& value) {
        if (name == "--objects") {
          args.objects = value;
        } else if (name == "--out") {
          args.out = value;
        } else if (name == "--lifetime") {
          args.lifetime_seconds = meshgate::testing::process::lifetime_seconds(value);
        } else {
          return false;
        }
        return true;
      });
  if (!ok || args.objects.empty() || args.out.empty() || args.lifetime_seconds == 0) {
    return std::nullopt;
  }
  return args;
}

// Applies every object line of `path`; false (with the line on stderr) on
// the first bad one.
bool apply_objects(KubeApiServer& api, const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "meshgate-test-apiserver: cannot read %s\n", path.c_str());
    return false;
  }
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty() || line.front() == '#') continue;
    const size_t space = line.find(' ');
    if (space == std::string::npos || line.front() != '/') {
      std::fprintf(stderr, "meshgate-test-apiserver: %s:%d: expected \"<collection> <json>\"\n",
                   path.c_str(), number);
      return false;
    }
    try {
      api.apply(line.substr(0, space), line.substr(space + 1));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "meshgate-test-apiserver: %s:%d: %s\n", path.c_str(), number, e.what());
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const std::optional<Args> args = parse_args(argc, argv);
  if (!args) {
    std::fprintf(stderr,
                 "usage: meshgate-test-apiserver --objects FILE --out DIR [--lifetime SECONDS "
                 "(1..3600)]\n");
    return 2;
  }
  // Before the server's threads start, so that they inherit the mask.
  meshgate::testing::process::block_stop_signals();
  try {
    const auto ca = meshgate::demo::make_ca("meshgate test apiserver CA");
    const auto leaf = meshgate::demo::make_leaf(
        ca, "kubernetes", std::vector<std::string>{"kubernetes.default.svc", "localhost"});
    meshgate::testing::KubeApiServerOptions options;
    options.cert_pem = leaf.cert_pem;
    options.key_pem = leaf.key_pem;
    KubeApiServer api(options);
    if (!apply_objects(api, args->objects)) return 1;
    fs::create_directories(args->out);
    const std::string server = "https://127.0.0.1:" + std::to_string(api.port());
    const std::string kubeconfig =
        meshgate::testing::kubeconfig_yaml(server, ca.cert_pem, options.token);
    if (!meshgate::testing::process::write_atomically(args->out / "kubeconfig", kubeconfig)) {
      std::fprintf(stderr, "meshgate-test-apiserver: cannot write %s\n",
                   (args->out / "kubeconfig").c_str());
      return 1;
    }
    std::printf("meshgate-test-apiserver: serving %s\n", server.c_str());
    std::fflush(stdout);
    meshgate::testing::process::run_until_stopped(std::chrono::seconds(args->lifetime_seconds),
                                                  std::chrono::seconds(1), [] {});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "meshgate-test-apiserver: %s\n", e.what());
    return 1;
  }
  return 0;
}

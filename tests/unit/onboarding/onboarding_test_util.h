// Helpers shared by the onboarding tests: a scratch directory, file reading,
// cluster.env as a map, a stand-in cluster for ObjectGetter.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "base/error.h"
#include "discovery/kubernetes/object_get.h"
#include "onboarding/cluster_reads.h"
#include "tests/support/kube_manifests.h"

namespace meshgate::onboarding::test {

inline constexpr const char* kCert =
    "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2Vy\n-----END CERTIFICATE-----\n";
inline constexpr const char* kToken =
    "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOlsiaXN0aW8tY2EiXX0.c2lnbmF0dXJl\n";

// A directory under /tmp, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = "/tmp/vmfiles-test-XXXXXX";
    path_ = ::mkdtemp(pattern.data()) ? pattern : "";
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ + "/" + name) << text;
    return path_ + "/" + name;
  }

 private:
  std::string path_;
};

inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// cluster.env's KEY=value lines as a map, the shell's quotes taken off.
inline std::map<std::string, std::string> env_map(const std::string& env) {
  std::map<std::string, std::string> out;
  std::istringstream lines(env);
  for (std::string line; std::getline(lines, line);) {
    const size_t eq = line.find('=');
    EXPECT_NE(eq, std::string::npos) << line;
    std::string value = line.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') {
      value = value.substr(1, value.size() - 2);
    }
    EXPECT_FALSE(out.contains(line.substr(0, eq))) << "repeated: " << line;
    out[line.substr(0, eq)] = value;
  }
  return out;
}

inline std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines)
    out += line + "\n";
  return out;
}

// Each error as base::describe() shows it, one per line.
inline std::string joined(const base::Errors& errors) {
  std::string out;
  for (const base::Error& error : errors)
    out += base::describe(error) + "\n";
  return out;
}

// A cluster of API objects by path, answering as the API server does; every
// path asked for is kept.
struct FakeCluster {
  std::map<std::string, std::string> objects;  // path -> JSON
  std::map<std::string, int> failures;         // path -> status (403, 500, ...)
  std::vector<std::string> asked;

  void config_map(const std::string& ns, const std::string& name,
                  const std::map<std::string, std::string>& data) {
    objects[discovery::kube::config_map_path(ns, name)] =
        testing::kube::config_map_json(ns, name, data);
  }

  ObjectGetter getter() {
    return [this](const std::string& path) {
      asked.push_back(path);
      if (const auto it = failures.find(path); it != failures.end()) {
        return discovery::kube::object_result(it->second,
                                              R"({"kind":"Status","message":"injected failure"})");
      }
      const auto it = objects.find(path);
      if (it == objects.end()) {
        return discovery::kube::object_result(404, R"({"kind":"Status","message":"not found"})");
      }
      return discovery::kube::object_result(200, it->second);
    };
  }
};

}  // namespace meshgate::onboarding::test

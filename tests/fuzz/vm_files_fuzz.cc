// Fuzz target for what `meshgate vm-files` reads from files and ConfigMaps
// (onboarding/workload_group.h, onboarding/proxy_config.h) and the files it
// makes of them (onboarding/vm_files.h). The input is a WorkloadGroup, then
// a line "---", then a mesh config (without that line, the whole input is
// both). Invariants: no crash and no exception out of the parsers or
// make_vm_files(); a result exactly when there is no error, every error
// non-empty; and what matters most, since a shell sources it: every line of
// cluster.env is NAME=value with NAME an environment variable name and the
// value bare (shellescape's safe characters) or in single quotes with no
// quote or control character inside, and mesh.yaml reads back as YAML with
// a defaultConfig mapping.
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "onboarding/proxy_config.h"
#include "onboarding/vm_files.h"
#include "onboarding/workload_group.h"

namespace {

namespace onboarding = meshgate::onboarding;

void check(bool invariant) {
  if (!invariant) std::abort();
}

void check_errors(bool ok, const meshgate::base::Errors& errors) {
  check(ok == errors.empty());
  for (const meshgate::base::Error& error : errors)
    check(!error.message.empty());
}

bool is_bare(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("@%+=:,./-_").find(c) != std::string_view::npos;
}

void check_env_line(std::string_view line) {
  const std::size_t equals = line.find('=');
  check(equals != std::string_view::npos && onboarding::is_env_name(line.substr(0, equals)));
  const std::string_view value = line.substr(equals + 1);
  if (value.empty() || value.front() != '\'') {
    for (char c : value)
      check(is_bare(c));
    return;
  }
  check(value.size() >= 2 && value.back() == '\'');
  for (char c : value.substr(1, value.size() - 2))
    check(c >= 0x20 && c < 0x7f && c != '\'');
}

void check_files(const onboarding::VmFilesResult& result) {
  const onboarding::VmFile* env = onboarding::find_vm_file(result, "cluster.env");
  const onboarding::VmFile* mesh = onboarding::find_vm_file(result, "mesh.yaml");
  check(env != nullptr && mesh != nullptr);
  std::string_view text = env->content;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    check(end != std::string_view::npos);  // every line ends
    check_env_line(text.substr(0, end));
    text.remove_prefix(end + 1);
  }
  try {
    check(YAML::Load(mesh->content)["defaultConfig"].IsMap());
  } catch (...) {
    std::abort();  // mesh.yaml must be YAML we can read back
  }
}

onboarding::VmSettings settings(const onboarding::MeshConfig& mesh) {
  onboarding::VmSettings s;
  s.gateway_address = "192.0.2.1";
  s.cluster_id = "cluster1";
  s.mesh = mesh;
  s.revision = "canary";
  s.root_cert_pem = "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n";
  s.token = "token";
  return s;
}

void run(std::string_view group_text, std::string_view mesh_text) {
  try {
    const onboarding::WorkloadGroupResult group = onboarding::parse_workload_group(group_text);
    check_errors(group.ok(), group.errors);
    const onboarding::MeshConfigResult mesh = onboarding::parse_mesh_config(mesh_text);
    check_errors(mesh.ok(), mesh.errors);
    if (!group.ok() || !mesh.ok()) return;
    const onboarding::VmFilesResult files =
        onboarding::make_vm_files(*group.group, settings(*mesh.mesh));
    check(files.ok() == files.errors.empty() && files.ok() == !files.files.empty());
    if (files.ok()) check_files(files);
  } catch (...) {
    std::abort();  // every problem must come back as an error
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t split = input.find("\n---\n");
  if (split == std::string_view::npos) {
    run(input, input);
  } else {
    run(input.substr(0, split + 1), input.substr(split + 5));
  }
  return 0;
}

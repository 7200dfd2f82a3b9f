#include "config/loader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <limits>
#include <string>

#include "base/read_file.h"
#include "config/validate.h"
#include "config/yaml_documents.h"
#include "config/yaml_walk.h"

namespace meshgate::config {
namespace {

LoadResult failure(base::Errors errors) {
  return {nullptr, std::move(errors)};
}

// A value the walker refused was not stored, so a check below its path would
// only repeat the same problem about a default.
bool follows_from(const base::Error& error, const std::vector<std::string>& refused) {
  return std::any_of(refused.begin(), refused.end(),
                     [&](const std::string& path) { return detail::is_within(error.path, path); });
}

// Document order; errors with no line (about keys left at their default) last.
void sort_by_line(base::Errors& errors) {
  std::stable_sort(errors.begin(), errors.end(), [](const base::Error& a, const base::Error& b) {
    const auto key = [](const base::Error& e) {
      return e.line > 0 ? e.line : std::numeric_limits<int>::max();
    };
    return key(a) < key(b);
  });
}

// A relative path in the config is relative to the config file that names it.
// An empty path means none (or standard output) and stays empty.
void resolve_relative_path(std::string& path, const std::filesystem::path& base_dir) {
  if (base_dir.empty() || path.empty() || std::filesystem::path(path).is_absolute()) return;
  path = (base_dir / path).string();
}

void resolve_relative_paths(Config& config, const std::filesystem::path& base_dir) {
  for (FileSource& file : config.discovery.files)
    resolve_relative_path(file.path, base_dir);
  resolve_relative_path(config.discovery.kubernetes.kubeconfig, base_dir);
  resolve_relative_path(config.access_log.path, base_dir);
}

LoadResult load_document(std::string_view yaml, const std::filesystem::path& base_dir) {
  detail::ParsedYaml parsed = detail::parse_yaml(yaml);
  base::Errors errors = std::move(parsed.errors);
  base::Errors checks;
  for (base::Error& error : validate_config(parsed.config)) {
    if (follows_from(error, parsed.refused)) continue;
    error.line = detail::line_of(parsed.lines, error.path);
    checks.push_back(std::move(error));
  }
  std::move(checks.begin(), checks.end(), std::back_inserter(errors));
  if (!errors.empty()) {
    sort_by_line(errors);
    return failure(std::move(errors));
  }
  resolve_relative_paths(parsed.config, base_dir);
  return {std::make_shared<const Config>(std::move(parsed.config)), {}};
}

}  // namespace

LoadResult load_config_string(std::string_view yaml) {
  if (yaml.size() > kMaxConfigBytes) {
    return failure(
        {{"", 0,
          fmt::format("config too large: {} bytes (max {})", yaml.size(), kMaxConfigBytes)}});
  }
  return load_document(yaml, {});
}

LoadResult load_config_file(const std::string& path) {
  base::FileRead read = base::read_bounded_file(path, kMaxConfigBytes);
  if (!read.ok()) {
    return failure({{"", 0,
                     fmt::format("cannot load config file '{}': {}", path,
                                 base::describe(read, kMaxConfigBytes))}});
  }
  // Most likely caught half-written: running on every default (no discovery
  // at all) would be the wrong guess.
  if (holds_no_yaml(read.content)) {
    return failure({{"", 0,
                     fmt::format("config file '{}' is empty (no key, only blanks or comments); "
                                 "write {{}} for every key at its default",
                                 path)}});
  }
  return load_document(read.content, std::filesystem::path(path).parent_path());
}

}  // namespace meshgate::config

#include "discovery/file_source.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <utility>

#include "base/read_file.h"
#include "config/yaml_documents.h"
#include "discovery/registry_file.h"

namespace meshgate::discovery {
namespace {

// Errors quoted in the log line and in reload()'s result; the rest are counted.
constexpr size_t kErrorsShown = 20;

std::string join_errors(const base::Errors& errors) {
  std::string joined;
  for (size_t i = 0; i < errors.size() && i < kErrorsShown; ++i) {
    joined += (i == 0 ? "" : "; ") + base::describe(errors[i]);
  }
  if (errors.size() > kErrorsShown) {
    joined += fmt::format("; and {} more", errors.size() - kErrorsShown);
  }
  return joined;
}

}  // namespace

std::string read_registry_file(const std::string& path, std::string* content) {
  base::FileRead read = base::read_bounded_file(path, kMaxRegistryFileBytes);
  if (!read.ok()) return base::describe(read, kMaxRegistryFileBytes);
  // Most likely caught half-written (truncated, not yet filled): serving no
  // services until the next poll would be the wrong guess.
  if (config::holds_no_yaml(read.content)) {
    return "empty (no YAML, only blanks or comments); an empty registry is written "
           "'services: []'";
  }
  *content = std::move(read.content);
  return "";
}

FileSource::FileSource(std::string path, Registry& registry)
    : path_(std::move(path)), name_("file:" + path_), registry_(registry) {
  registry_.add_source(name_);
}

std::string FileSource::reload() {
  std::lock_guard lock(mutex_);
  std::string content;
  std::string error = read_registry_file(path_, &content);
  if (!error.empty()) return fail(std::move(error), std::nullopt);
  if (loaded_ && content == last_content_) {
    clear_failure();  // back to the good content: a new failure logs again
    return "";
  }
  // Do not parse the same broken content on every poll.
  if (failed_content_ && content == *failed_content_) return failed_error_;

  RegistryFileResult parsed = parse_registry_file(content);
  if (!parsed.state) return fail(join_errors(parsed.errors), std::move(content));

  spdlog::info("discovery: {}: loaded {} services, {} aliases", path_,
               parsed.state->services.size(), parsed.state->aliases.size());
  registry_.update(name_, std::move(*parsed.state));
  last_content_ = std::move(content);
  loaded_ = true;
  clear_failure();
  ++stats_.reloads_ok;
  return "";
}

std::string FileSource::fail(std::string error, std::optional<std::string> content) {
  error = fmt::format("{}: {}", path_, error);
  // Same failure as last time: already logged and counted.
  if (!failed_error_.empty() && error == failed_error_ && content == failed_content_) {
    return failed_error_;
  }
  spdlog::error("discovery: {}; keeping the last good state", error);
  ++stats_.reloads_failed;
  failed_error_ = std::move(error);
  failed_content_ = std::move(content);
  return failed_error_;
}

void FileSource::clear_failure() {
  failed_error_.clear();
  failed_content_.reset();
}

FileSourceStats FileSource::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace meshgate::discovery

#include "discovery/file_source.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <utility>

#include "discovery/registry_file.h"

namespace meshgate::discovery {
namespace {

constexpr size_t kMaxFileBytes = 64 * 1024 * 1024;
constexpr size_t kReadChunk = 64 * 1024;
// Errors quoted in the log line and in reload()'s result; the rest are counted.
constexpr size_t kErrorsShown = 20;

struct FileRead {
  std::string content;
  std::string error;  // "" : read
};

// The whole file, refusing more than kMaxFileBytes.
FileRead read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {"", fmt::format("cannot open: {}", std::strerror(errno))};
  FileRead read;
  std::array<char, kReadChunk> chunk{};
  while (in) {
    in.read(chunk.data(), chunk.size());
    const auto got = static_cast<size_t>(in.gcount());
    if (read.content.size() + got > kMaxFileBytes) {
      return {"", fmt::format("larger than {} bytes", kMaxFileBytes)};
    }
    read.content.append(chunk.data(), got);
  }
  if (in.bad()) return {"", fmt::format("cannot read: {}", std::strerror(errno))};
  return read;
}

std::string join_errors(const std::vector<std::string>& errors) {
  std::string joined;
  for (size_t i = 0; i < errors.size() && i < kErrorsShown; ++i) {
    joined += (i == 0 ? "" : "; ") + errors[i];
  }
  if (errors.size() > kErrorsShown) {
    joined += fmt::format("; and {} more", errors.size() - kErrorsShown);
  }
  return joined;
}

}  // namespace

FileSource::FileSource(std::string path, Registry& registry)
    : path_(std::move(path)), name_("file:" + path_), registry_(registry) {
  registry_.add_source(name_);
}

std::string FileSource::reload() {
  std::lock_guard lock(mutex_);
  FileRead read = read_file(path_);
  if (!read.error.empty()) return fail(std::move(read.error), std::nullopt);
  if (loaded_ && read.content == last_content_) {
    clear_failure();  // back to the good content: a new failure logs again
    return "";
  }
  // Do not parse the same broken content on every poll.
  if (failed_content_ && read.content == *failed_content_) return failed_error_;

  RegistryFileResult parsed = parse_registry_file(read.content);
  if (!parsed.state) return fail(join_errors(parsed.errors), std::move(read.content));

  spdlog::info("discovery: {}: loaded {} services, {} aliases", path_,
               parsed.state->services.size(), parsed.state->aliases.size());
  registry_.update(name_, std::move(*parsed.state));
  last_content_ = std::move(read.content);
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

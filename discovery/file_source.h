// Discovery from a registry file, reloaded when its content changes. An
// invalid new file is logged and counted; the last good state keeps serving.
// No I/O framework here: the gateway's control thread calls reload() every
// poll interval, and tests call it directly.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "discovery/registry.h"

namespace meshgate::discovery {

struct FileSourceStats {
  uint64_t reloads_ok = 0;      // file read, parsed and pushed to the registry
  uint64_t reloads_failed = 0;  // unreadable or invalid; last good state kept
};

// Reads a registry file, at most kMaxRegistryFileBytes, into *content.
// Returns "" on success, else the reason ("cannot open: ...", "cannot
// read: ...", "larger than N bytes"), without the path.
std::string read_registry_file(const std::string& path, std::string* content);

class FileSource {
 public:
  FileSource(std::string path, Registry& registry);

  // Reads the file; pushes it to the registry if its content changed since the
  // last successful read. Returns "" on success (changed or not), else the error.
  // A failure is logged and counted once; reloading the same broken content
  // (or hitting the same read error) again returns the error silently.
  std::string reload();

  const std::string& path() const { return path_; }
  const std::string& name() const { return name_; }  // source name in the registry: "file:<path>"
  FileSourceStats stats() const;

 private:
  std::string path_;
  std::string name_;
  Registry& registry_;
  mutable std::mutex mutex_;
  std::string last_content_;
  bool loaded_ = false;
  // The last failure, so that polling an unchanged broken file neither logs
  // nor counts again: the content that failed to parse, or the read error.
  std::string failed_error_;                   // "" : the last reload did not fail
  std::optional<std::string> failed_content_;  // nullopt: the failure was a read error
  FileSourceStats stats_;

  // Logs and counts a failure unless it repeats the last one; returns `error`.
  std::string fail(std::string error, std::optional<std::string> content);
  void clear_failure();
};

}  // namespace meshgate::discovery

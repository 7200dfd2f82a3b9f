// Bounded file reading, the one way meshgate reads a file it was pointed at
// (config files here, registry files in discovery/). Each caller words the
// failure for its own kind of file.
#pragma once

#include <cstddef>
#include <string>

namespace meshgate::config {

// A config file is small: anything larger is refused rather than read.
inline constexpr size_t kMaxConfigBytes = 1 << 20;

struct FileRead {
  enum class Status { kOk, kCannotOpen, kCannotRead, kTooLarge };
  Status status = Status::kOk;
  int error_number = 0;  // errno, for kCannotOpen and kCannotRead
  std::string content;   // the whole file, for kOk
  bool ok() const { return status == Status::kOk; }
};

// Reads at most `max_bytes`; a longer file (or pipe) is kTooLarge, without
// trusting a size from stat.
FileRead read_bounded_file(const std::string& path, size_t max_bytes);

}  // namespace meshgate::config

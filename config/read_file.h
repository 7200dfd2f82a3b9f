// Bounded file reading for the loader. Internal to config/.
#pragma once

#include <cstddef>
#include <string>

namespace meshgate::config::detail {

// A config file is small: anything larger is refused rather than read.
inline constexpr size_t kMaxConfigBytes = 1 << 20;

struct FileRead {
  std::string content;
  std::string error;  // empty on success; names the path
};

// Reads at most `max_bytes`; a longer file is an error ("file too large").
FileRead read_bounded_file(const std::string& path, size_t max_bytes);

}  // namespace meshgate::config::detail

#include "config/read_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace meshgate::config::detail {
namespace {

// Closes the descriptor on every return path.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string io_error(std::string_view what, const std::string& path, int error) {
  return fmt::format("cannot {} config file '{}': {}", what, path, std::strerror(error));
}

}  // namespace

FileRead read_bounded_file(const std::string& path, size_t max_bytes) {
  const Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return {{}, io_error("open", path, errno)};
  std::string content(max_bytes + 1, '\0');
  size_t used = 0;
  // Read one byte past the limit so that "exactly at the limit" and "over it"
  // are told apart without trusting a size from stat (pipes have none).
  while (used < content.size()) {
    const ssize_t got = ::read(fd.get(), content.data() + used, content.size() - used);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return {{}, io_error("read", path, errno)};
    if (got == 0) break;
    used += static_cast<size_t>(got);
  }
  if (used > max_bytes) {
    return {{},
            fmt::format("cannot load config file '{}': file too large (max {} bytes)", path,
                        max_bytes)};
  }
  content.resize(used);
  return {std::move(content), {}};
}

}  // namespace meshgate::config::detail

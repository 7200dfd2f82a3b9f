#include "config/read_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>

namespace meshgate::config {
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

}  // namespace

FileRead read_bounded_file(const std::string& path, size_t max_bytes) {
  const Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return {FileRead::Status::kCannotOpen, errno, {}};
  // A regular file already over the limit is refused without reading it: a
  // poller would otherwise read the whole oversized file on every turn.
  struct stat info {};
  if (::fstat(fd.get(), &info) == 0 && S_ISREG(info.st_mode) &&
      static_cast<uint64_t>(info.st_size) > max_bytes) {
    return {FileRead::Status::kTooLarge, 0, {}};
  }
  // Grows with what is read: the limit may be large (64 MiB for a registry
  // file) and must not cost its size in memory for a small file. Reads one
  // byte past the limit so that "exactly at the limit" and "over it" are told
  // apart without trusting the size from fstat (pipes have none; a file may
  // grow while it is read).
  std::string content;
  std::array<char, 64 * 1024> chunk;
  for (;;) {
    const size_t want = std::min(chunk.size(), max_bytes + 1 - content.size());
    const ssize_t got = ::read(fd.get(), chunk.data(), want);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return {FileRead::Status::kCannotRead, errno, {}};
    if (got == 0) break;
    content.append(chunk.data(), static_cast<size_t>(got));
    if (content.size() > max_bytes) return {FileRead::Status::kTooLarge, 0, {}};
  }
  return {FileRead::Status::kOk, 0, std::move(content)};
}

}  // namespace meshgate::config

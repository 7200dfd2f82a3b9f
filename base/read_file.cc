#include "base/read_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>

namespace meshgate::base {
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

FileRead read_bounded_file(const std::string& path, size_t max_bytes, FileKind kind) {
  // O_NONBLOCK: opening a FIFO would otherwise wait for a writer. It changes
  // nothing for a regular file.
  const int flags = O_RDONLY | O_CLOEXEC | (kind == FileKind::kRegular ? O_NONBLOCK : 0);
  const Fd fd(::open(path.c_str(), flags));
  if (fd.get() < 0) return {FileRead::Status::kCannotOpen, errno, {}};
  struct stat info {};
  const bool stat_ok = ::fstat(fd.get(), &info) == 0;
  if (kind == FileKind::kRegular && (!stat_ok || !S_ISREG(info.st_mode))) {
    return {FileRead::Status::kNotRegular, 0, {}};
  }
  // A regular file already over the limit is refused without reading it: a
  // poller would otherwise read the whole oversized file on every turn.
  if (stat_ok && S_ISREG(info.st_mode) && static_cast<uint64_t>(info.st_size) > max_bytes) {
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

std::string describe(const FileRead& read, size_t max_bytes) {
  switch (read.status) {
    case FileRead::Status::kOk:
      return "";
    case FileRead::Status::kCannotOpen:
      return "cannot open: " + std::string(std::strerror(read.error_number));
    case FileRead::Status::kCannotRead:
      return "cannot read: " + std::string(std::strerror(read.error_number));
    case FileRead::Status::kNotRegular:
      return "not a regular file (a directory, FIFO, socket or device is never read)";
    case FileRead::Status::kTooLarge:
      break;
  }
  return "larger than " + std::to_string(max_bytes) + " bytes";
}

Credential read_credential(const std::string& path, size_t max_bytes) {
  const FileRead read = read_bounded_file(path, max_bytes);
  if (!read.ok()) return {std::nullopt, path + ": " + describe(read, max_bytes)};
  constexpr const char* kSpace = " \t\r\n";
  const size_t first = read.content.find_first_not_of(kSpace);
  if (first == std::string::npos) return {std::nullopt, path + ": empty"};
  const size_t last = read.content.find_last_not_of(kSpace);
  return {read.content.substr(first, last - first + 1), ""};
}

}  // namespace meshgate::base

// Bounded file reading, the one way meshgate reads a file it was pointed at
// (config files here, registry files in discovery/, credentials). Each
// caller words the failure for its own kind of file, with describe().
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace meshgate::base {

struct FileRead {
  enum class Status { kOk, kCannotOpen, kCannotRead, kTooLarge, kNotRegular };
  Status status = Status::kOk;
  int error_number = 0;  // errno, for kCannotOpen and kCannotRead
  std::string content;   // the whole file, for kOk
  bool ok() const { return status == Status::kOk; }
};

enum class FileKind {
  // The gateway's own files: opened without blocking, and only a regular file
  // is read. A FIFO would block the opening thread until a writer came, and a
  // device such as /dev/zero never ends: both are refused at once.
  kRegular,
  // One-shot commands may read what a shell hands them (a pipe, /dev/stdin).
  kAny,
};

// Reads at most `max_bytes`; a longer file (or pipe) is kTooLarge, without
// trusting a size from stat.
FileRead read_bounded_file(const std::string& path, size_t max_bytes,
                           FileKind kind = FileKind::kRegular);

// Why a read failed, without the path: "cannot open: No such file or
// directory", "not a regular file", "larger than 1048576 bytes"; "" for kOk.
std::string describe(const FileRead& read, size_t max_bytes);

// A credential (a bearer token, a PEM bundle): the file, bounded, without
// leading and trailing whitespace. `error` says why there is none ("PATH:
// cannot open: ...", "PATH: empty"); set exactly when value is not.
struct Credential {
  std::optional<std::string> value;
  std::string error;
};
Credential read_credential(const std::string& path, size_t max_bytes);

}  // namespace meshgate::base

// Replays inputs through a libFuzzer-style target without libFuzzer, so that
// a gcc build compiles every fuzz target and runs its seed corpus as a test.
// Usage: <target> FILE_OR_DIR...; a directory is read one level deep, its
// files in name order. Fails when no input was found or a file was unreadable.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

constexpr std::uintmax_t kMaxInputBytes = 1U << 20;

struct Tally {
  std::size_t replayed = 0;
  std::size_t failed = 0;
};

void replay_file(const fs::path& path, Tally& tally) {
  std::error_code error;
  const std::uintmax_t size = fs::file_size(path, error);
  if (error || size > kMaxInputBytes) {
    std::fprintf(stderr, "skipping %s: %s\n", path.c_str(),
                 error ? error.message().c_str() : "larger than 1 MiB");
    ++tally.failed;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    ++tally.failed;
    return;
  }
  // A copy of exactly the input's size, so that ASan sees reads past its end.
  std::vector<uint8_t> input(bytes.begin(), bytes.end());
  LLVMFuzzerTestOneInput(input.data(), input.size());
  ++tally.replayed;
}

void replay_directory(const fs::path& dir, Tally& tally) {
  std::error_code error;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    if (entry.is_regular_file(error)) files.push_back(entry.path());
  }
  if (error) {
    std::fprintf(stderr, "cannot list %s: %s\n", dir.c_str(), error.message().c_str());
    ++tally.failed;
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files)
    replay_file(file, tally);
}

}  // namespace

int main(int argc, char** argv) {
  Tally tally;
  for (int i = 1; i < argc; ++i) {
    const fs::path path(argv[i]);
    std::error_code error;
    if (fs::is_directory(path, error)) {
      replay_directory(path, tally);
    } else if (fs::is_regular_file(path, error)) {
      replay_file(path, tally);
    } else {
      std::fprintf(stderr, "no such file or directory: %s\n", path.c_str());
      ++tally.failed;
    }
  }
  std::printf("replayed %zu inputs\n", tally.replayed);
  return tally.replayed == 0 || tally.failed != 0 ? 1 : 0;
}

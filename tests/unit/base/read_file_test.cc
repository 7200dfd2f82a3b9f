#include "base/read_file.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>

namespace meshgate::base {
namespace {

// A file under /tmp with `content`, removed at the end of the test.
class ScratchFile {
 public:
  explicit ScratchFile(const std::string& content) {
    std::string pattern = "/tmp/read-file-test-XXXXXX";
    const int fd = ::mkstemp(pattern.data());
    if (fd >= 0) ::close(fd);
    path_ = pattern;
    std::ofstream(path_, std::ios::binary) << content;
  }
  ~ScratchFile() { ::unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(ReadBoundedFileTest, ReadsTheWholeFile) {
  const std::string text(200 * 1024 + 7, 'x');  // several reads' worth
  const ScratchFile file(text);
  const FileRead read = read_bounded_file(file.path(), 1 << 20);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read.content, text);
}

TEST(ReadBoundedFileTest, ExactlyAtTheLimitIsReadOneMoreIsRefused) {
  const ScratchFile at(std::string(1000, 'a'));
  EXPECT_TRUE(read_bounded_file(at.path(), 1000).ok());
  const ScratchFile over(std::string(1001, 'a'));
  EXPECT_EQ(read_bounded_file(over.path(), 1000).status, FileRead::Status::kTooLarge);
}

// Bytes this process has read so far (/proc/self/io, rchar).
uint64_t bytes_read_so_far() {
  std::ifstream io("/proc/self/io");
  std::string key;
  uint64_t value = 0;
  while (io >> key >> value) {
    if (key == "rchar:") return value;
  }
  return 0;
}

// A registry poller meets an oversized file on every turn: it is refused by
// its size, not read up to the limit each time.
TEST(ReadBoundedFileTest, ARegularFileOverTheLimitIsNotRead) {
  const ScratchFile over(std::string(3 << 20, 'a'));
  const uint64_t before = bytes_read_so_far();
  ASSERT_GT(before, 0u);
  EXPECT_EQ(read_bounded_file(over.path(), 1 << 20).status, FileRead::Status::kTooLarge);
  EXPECT_LT(bytes_read_so_far() - before, 64u * 1024);  // the /proc read itself, not 1 MiB
}

TEST(ReadBoundedFileTest, AnEmptyFileIsEmpty) {
  const ScratchFile file("");
  const FileRead read = read_bounded_file(file.path(), 1000);
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read.content.empty());
}

TEST(ReadBoundedFileTest, AMissingFileSaysWhy) {
  const FileRead read = read_bounded_file("/nonexistent/meshgate/file", 1000);
  EXPECT_EQ(read.status, FileRead::Status::kCannotOpen);
  EXPECT_EQ(read.error_number, ENOENT);
}

// A large limit costs nothing for a small file: the registry files' limit
// is 64 MiB, and reading one every second used to touch that much memory.
TEST(ReadBoundedFileTest, MemoryFollowsTheFileNotTheLimit) {
  const ScratchFile file("services: []\n");
  const FileRead read = read_bounded_file(file.path(), 64 * 1024 * 1024);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read.content, "services: []\n");
  EXPECT_LT(read.content.capacity(), 1024u);
}

// Tokens and certificates: what a kubelet or an editor leaves around the
// value is not part of it; nothing at all is a clear error.
TEST(ReadCredentialTest, TrimsWhitespaceAndSaysWhyThereIsNone) {
  const ScratchFile token("\n  eyJhbGciOi.token \r\n");
  EXPECT_EQ(read_credential(token.path(), 1024).value, "eyJhbGciOi.token");
  EXPECT_EQ(read_credential(token.path(), 1024).error, "");
  const ScratchFile blank(" \n\t\n");
  const Credential empty = read_credential(blank.path(), 1024);
  EXPECT_FALSE(empty.value);
  EXPECT_EQ(empty.error, blank.path() + ": empty");
  const Credential large = read_credential(token.path(), 4);
  EXPECT_FALSE(large.value);
  EXPECT_EQ(large.error, token.path() + ": larger than 4 bytes");
  const Credential missing = read_credential("/nonexistent/meshgate-token", 1024);
  EXPECT_FALSE(missing.value);
  EXPECT_NE(missing.error.find("/nonexistent/meshgate-token: cannot open"), std::string::npos);
}

}  // namespace
}  // namespace meshgate::base

#include "discovery/file_source.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace meshgate::discovery {
namespace {

constexpr std::string_view kGood = "services: [{name: a, namespace: b, ports: [{port: 80}]}]\n";
constexpr std::string_view kOther = "services: [{name: a, namespace: b, ports: [{port: 81}]}]\n";
constexpr std::string_view kBroken = "services: [{name: a}]\n";

class FileSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "meshgate-file-source-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = (dir_ / "registry.yaml").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void write(std::string_view content) {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out << content;
    ASSERT_TRUE(out.good());
  }
  uint16_t port() const { return registry_.snapshot()->services().at(0).ports.at(0).number; }

  std::filesystem::path dir_;
  std::string path_;
  Registry registry_;
};

TEST_F(FileSourceTest, NamesItselfAndDeclaresTheSource) {
  FileSource source(path_, registry_);
  EXPECT_EQ(source.path(), path_);
  EXPECT_EQ(source.name(), "file:" + path_);
  EXPECT_FALSE(registry_.synced());  // declared, not yet loaded
}

TEST_F(FileSourceTest, ReloadPushesTheFile) {
  write(kGood);
  FileSource source(path_, registry_);
  EXPECT_EQ(source.reload(), "");
  EXPECT_TRUE(registry_.synced());
  EXPECT_EQ(registry_.snapshot()->version(), 1u);
  EXPECT_EQ(port(), 80);
  EXPECT_EQ(source.stats().reloads_ok, 1u);
  EXPECT_EQ(source.stats().reloads_failed, 0u);
}

TEST_F(FileSourceTest, UnchangedFileIsNotPushedAgain) {
  write(kGood);
  FileSource source(path_, registry_);
  ASSERT_EQ(source.reload(), "");
  SnapshotPtr first = registry_.snapshot();
  EXPECT_EQ(source.reload(), "");
  EXPECT_EQ(registry_.snapshot(), first);
  EXPECT_EQ(source.stats().reloads_ok, 1u);
}

TEST_F(FileSourceTest, ChangedFileIsPushed) {
  write(kGood);
  FileSource source(path_, registry_);
  ASSERT_EQ(source.reload(), "");
  write(kOther);
  EXPECT_EQ(source.reload(), "");
  EXPECT_EQ(registry_.snapshot()->version(), 2u);
  EXPECT_EQ(port(), 81);
  EXPECT_EQ(source.stats().reloads_ok, 2u);
}

TEST_F(FileSourceTest, BrokenFileKeepsTheLastGoodStateAndCountsOnce) {
  write(kGood);
  FileSource source(path_, registry_);
  ASSERT_EQ(source.reload(), "");
  write(kBroken);
  const std::string error = source.reload();
  EXPECT_EQ(error, path_ +
                       ": line 1: services[0].namespace: required; line 1: "
                       "services[0].ports: required");
  EXPECT_EQ(source.reload(), error);
  EXPECT_EQ(source.reload(), error);
  EXPECT_EQ(source.stats().reloads_failed, 1u);
  EXPECT_EQ(registry_.snapshot()->version(), 1u);
  EXPECT_EQ(port(), 80);
}

TEST_F(FileSourceTest, FixedFileReloadsAgain) {
  write(kGood);
  FileSource source(path_, registry_);
  ASSERT_EQ(source.reload(), "");
  write(kBroken);
  ASSERT_NE(source.reload(), "");
  write(kOther);
  EXPECT_EQ(source.reload(), "");
  EXPECT_EQ(port(), 81);
  EXPECT_EQ(source.stats().reloads_ok, 2u);
  EXPECT_EQ(source.stats().reloads_failed, 1u);
}

TEST_F(FileSourceTest, BreakingAgainAfterARepairCountsAgain) {
  write(kGood);
  FileSource source(path_, registry_);
  ASSERT_EQ(source.reload(), "");
  write(kBroken);
  ASSERT_NE(source.reload(), "");
  write(kGood);  // back to the content already loaded: nothing to push
  EXPECT_EQ(source.reload(), "");
  EXPECT_EQ(source.stats().reloads_ok, 1u);
  write(kBroken);
  EXPECT_NE(source.reload(), "");
  EXPECT_EQ(source.stats().reloads_failed, 2u);
}

TEST_F(FileSourceTest, BrokenFirstFileLeavesTheSourceUnsynced) {
  write(kBroken);
  FileSource source(path_, registry_);
  EXPECT_NE(source.reload(), "");
  EXPECT_FALSE(registry_.synced());
  EXPECT_EQ(registry_.snapshot()->version(), 0u);
}

TEST_F(FileSourceTest, MissingFileIsAnErrorCountedOnce) {
  FileSource source(path_, registry_);
  const std::string error = source.reload();
  EXPECT_EQ(error, path_ + ": cannot open: No such file or directory");
  EXPECT_EQ(source.reload(), error);
  EXPECT_EQ(source.stats().reloads_failed, 1u);
  write(kGood);
  EXPECT_EQ(source.reload(), "");
  EXPECT_EQ(source.stats().reloads_ok, 1u);
}

// A directory, a FIFO or a device is refused at once: opening a FIFO would
// block the control thread until a writer came; /dev/zero never ends.
TEST_F(FileSourceTest, OnlyARegularFileIsRead) {
  const std::string fifo = (dir_ / "fifo.yaml").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  for (const std::string& path : {dir_.string(), fifo, std::string("/dev/zero")}) {
    FileSource source(path, registry_);
    EXPECT_EQ(source.reload(), path +
                                   ": not a regular file (a directory, FIFO, socket or device is "
                                   "never read)");
    EXPECT_EQ(source.stats().reloads_failed, 1u);
  }
}

// A file caught between truncation and its new content holds nothing: the
// last good registry keeps serving, and the failure is logged and counted
// once however often it is polled. `services: []` is the empty registry.
TEST_F(FileSourceTest, AFileWithNoYamlIsAnErrorAndTheLastGoodStays) {
  write(kGood);
  FileSource source(path_, registry_);
  ASSERT_EQ(source.reload(), "");
  const std::size_t services = registry_.snapshot()->services().size();
  ASSERT_GT(services, 0u);
  for (const char* nothing : {"", "\n  \n", "# half of a file\n"}) {
    write(nothing);
    EXPECT_NE(source.reload().find("empty (no YAML"), std::string::npos);
    source.reload();
    EXPECT_EQ(registry_.snapshot()->services().size(), services);
  }
  EXPECT_EQ(source.stats().reloads_failed, 1u);  // one failure, however it is spelt
  write("services: []\n");
  EXPECT_EQ(source.reload(), "");
  EXPECT_TRUE(registry_.snapshot()->services().empty());
}

TEST_F(FileSourceTest, OversizedFileIsRefused) {
  {
    std::ofstream out(path_, std::ios::binary);
    out << "# ";
    out << std::string(64 * 1024 * 1024, 'x');
  }
  FileSource source(path_, registry_);
  EXPECT_EQ(source.reload(), path_ + ": larger than 67108864 bytes");
}

}  // namespace
}  // namespace meshgate::discovery

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/loader.h"
#include "tests/unit/config/error_matchers.h"

namespace meshgate::config {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using testing::ErrorAt;
using ::testing::HasSubstr;

// Each test gets its own directory, removed afterwards.
class LoadFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string name = (fs::temp_directory_path() / "meshgate-config-XXXXXX").string();
    ASSERT_NE(mkdtemp(name.data()), nullptr);
    dir_ = name;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& relative, const std::string& content) {
    const fs::path path = dir_ / relative;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  }

  fs::path dir_;
};

TEST_F(LoadFile, RelativeDiscoveryPathsFollowTheConfigFile) {
  const std::string config = write("etc/meshgate.yaml", R"(discovery:
  files:
    - path: registry.yaml
    - path: ../shared/more.yaml
    - path: /abs/other.yaml
)");
  const LoadResult result = load_config_file(config);
  ASSERT_TRUE(result.ok()) << ::testing::PrintToString(result.errors);
  const auto& files = result.config->discovery.files;
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].path, (dir_ / "etc" / "registry.yaml").string());
  EXPECT_EQ(files[1].path, (dir_ / "etc" / "../shared/more.yaml").string());
  EXPECT_EQ(files[2].path, "/abs/other.yaml");
}

TEST_F(LoadFile, RelativeAccessLogPathFollowsTheConfigFile) {
  const LoadResult relative =
      load_config_file(write("etc/meshgate.yaml", "access_log: {path: logs/access.log}\n"));
  ASSERT_TRUE(relative.ok()) << ::testing::PrintToString(relative.errors);
  EXPECT_EQ(relative.config->access_log.path, (dir_ / "etc" / "logs/access.log").string());

  const LoadResult absolute =
      load_config_file(write("abs.yaml", "access_log: {path: /var/log/meshgate.log}\n"));
  ASSERT_TRUE(absolute.ok());
  EXPECT_EQ(absolute.config->access_log.path, "/var/log/meshgate.log");

  // Empty is standard output, written or not.
  for (const char* yaml : {"access_log: {path: ''}\n", "network: n\n"}) {
    const LoadResult stdout_log = load_config_file(write("stdout.yaml", yaml));
    ASSERT_TRUE(stdout_log.ok()) << yaml;
    EXPECT_EQ(stdout_log.config->access_log.path, "") << yaml;
  }
}

// The demo registry belongs to the embedded default only: a config file that
// names no file source has none, and never serves made-up services.
TEST_F(LoadFile, AFileThatNamesNoRegistryHasNoFileSource) {
  const LoadResult result = load_config_file(write("meshgate.yaml", "network: n\n"));
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result.config->discovery.files.empty());
  EXPECT_FALSE(result.config->passthrough.allow_loopback_endpoints);
}

// A file caught half-written (truncated, not yet filled) must not reset every
// key: nothing but blanks and comments is an error. `{}` is all defaults.
TEST_F(LoadFile, AFileWithNoKeyIsAnError) {
  for (const char* text : {"", "\n\n", "   \n\t\n", "# meshgate in a cluster\n#\n", "  # x"}) {
    const std::string path = write("empty.yaml", text);
    EXPECT_THAT(load_config_file(path).errors,
                ElementsAre(ErrorAt("", 0, "config file '" + path + "' is empty")))
        << ::testing::PrintToString(text);
  }
  const LoadResult braces = load_config_file(write("braces.yaml", "# all defaults\n{}\n"));
  ASSERT_TRUE(braces.ok());
  EXPECT_EQ(braces.config->listeners.passthrough.port, 15443);
}

// Opened without blocking and read only when regular: a FIFO would block the
// control thread until a writer came, /dev/zero would never end.
TEST_F(LoadFile, AFifoOrADeviceIsRefusedAtOnce) {
  const std::string fifo = (dir_ / "fifo.yaml").string();
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  for (const std::string& path : {fifo, std::string("/dev/zero"), std::string("/dev/null")}) {
    EXPECT_THAT(load_config_file(path).errors, ElementsAre(ErrorAt("", 0, "not a regular file")))
        << path;
  }
}

TEST_F(LoadFile, ErrorsCarryLines) {
  const LoadResult result = load_config_file(write("bad.yaml", "network: n\nworkers: x\n"));
  EXPECT_THAT(result.errors, ElementsAre(ErrorAt("workers", 2, "expected an integer")));
}

TEST_F(LoadFile, MissingFileNamesPathAndReason) {
  const std::string path = (dir_ / "absent.yaml").string();
  const LoadResult result = load_config_file(path);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.errors, ElementsAre(ErrorAt("", 0,
                                                 "cannot load config file '" + path +
                                                     "': cannot open: No such file or directory")));
}

TEST_F(LoadFile, DirectoryIsAnError) {
  const LoadResult result = load_config_file(dir_.string());
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_THAT(result.errors[0].message, HasSubstr("not a regular file"));
}

TEST_F(LoadFile, TooLargeIsRefused) {
  const std::string path = write("big.yaml", std::string((1 << 20) + 1, '#'));
  EXPECT_THAT(load_config_file(path).errors,
              ElementsAre(ErrorAt("", 0, "larger than 1048576 bytes")));
}

TEST_F(LoadFile, ExactlyTheLimitIsRead) {
  const std::string path = write("full.yaml", "{}" + std::string((1 << 20) - 2, '\n'));
  EXPECT_TRUE(load_config_file(path).ok());
}

}  // namespace
}  // namespace meshgate::config

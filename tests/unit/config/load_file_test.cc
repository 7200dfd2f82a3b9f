#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

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

TEST_F(LoadFile, DefaultDiscoveryIsNotRebased) {
  const LoadResult result = load_config_file(write("meshgate.yaml", "network: n\n"));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.config->discovery.files[0].path, demo_registry_path());
}

TEST_F(LoadFile, EmptyFileIsAllDefaults) {
  const LoadResult result = load_config_file(write("empty.yaml", ""));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.config->listeners.passthrough.port, 15443);
}

TEST_F(LoadFile, ErrorsCarryLines) {
  const LoadResult result = load_config_file(write("bad.yaml", "network: n\nworkers: x\n"));
  EXPECT_THAT(result.errors, ElementsAre(ErrorAt("workers", 2, "expected an integer")));
}

TEST_F(LoadFile, MissingFileNamesPathAndReason) {
  const std::string path = (dir_ / "absent.yaml").string();
  const LoadResult result = load_config_file(path);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.errors,
              ElementsAre(ErrorAt(
                  "", 0, "cannot open config file '" + path + "': No such file or directory")));
}

TEST_F(LoadFile, DirectoryIsAnError) {
  const LoadResult result = load_config_file(dir_.string());
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_THAT(result.errors[0].message, HasSubstr("Is a directory"));
}

TEST_F(LoadFile, TooLargeIsRefused) {
  const std::string path = write("big.yaml", std::string((1 << 20) + 1, '#'));
  EXPECT_THAT(load_config_file(path).errors, ElementsAre(ErrorAt("", 0, "file too large")));
}

TEST_F(LoadFile, ExactlyTheLimitIsRead) {
  const std::string path = write("full.yaml", std::string(1 << 20, '#'));
  EXPECT_TRUE(load_config_file(path).ok());
}

}  // namespace
}  // namespace meshgate::config

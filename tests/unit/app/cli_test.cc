#include "app/cli.h"

#include "onboarding/dns_hosts.h"

#include <gtest/gtest.h>

#include <vector>

namespace meshgate::app {
namespace {

std::optional<CliArgs> parse(std::vector<const char*> args, std::string* error = nullptr) {
  args.insert(args.begin(), "meshgate");
  std::string ignored;
  return parse_args(args, error ? *error : ignored);
}

TEST(Cli, NoArgumentsRunsTheEmbeddedDefault) {
  const auto args = parse({});
  ASSERT_TRUE(args);
  EXPECT_EQ(args->command, CliArgs::Command::kRun);
  EXPECT_EQ(args->file, "");
  EXPECT_EQ(args->log_level, "info");
}

TEST(Cli, RunWithConfigAndLogLevel) {
  const auto args = parse({"--config", "/etc/meshgate.yaml", "--log-level", "debug"});
  ASSERT_TRUE(args);
  EXPECT_EQ(args->command, CliArgs::Command::kRun);
  EXPECT_EQ(args->file, "/etc/meshgate.yaml");
  EXPECT_EQ(args->log_level, "debug");
}

TEST(Cli, CheckCommandsTakeAFile) {
  auto args = parse({"check-config", "a.yaml"});
  ASSERT_TRUE(args);
  EXPECT_EQ(args->command, CliArgs::Command::kCheckConfig);
  EXPECT_EQ(args->file, "a.yaml");
  args = parse({"check-registry", "r.yaml"});
  ASSERT_TRUE(args);
  EXPECT_EQ(args->command, CliArgs::Command::kCheckRegistry);
}

TEST(Cli, DnsHostsTakesAnOptionalConfig) {
  auto args = parse({"dns-hosts"});
  ASSERT_TRUE(args);
  EXPECT_EQ(args->command, CliArgs::Command::kDnsHosts);
  EXPECT_EQ(args->file, "");
  args = parse({"dns-hosts", "--config", "m.yaml"});
  ASSERT_TRUE(args);
  EXPECT_EQ(args->file, "m.yaml");
  EXPECT_FALSE(parse({"dns-hosts", "m.yaml"}));
}

TEST(DnsHosts, LinesMatchTheZoneAndWildcardsAreComments) {
  config::Config config;
  const discovery::Snapshot snapshot(
      3, {}, {{"db.bar.global", {"10.1.2.3", "fd00::3"}, "", ""}, {"*.foo.global", {}, "", ""}});
  const std::string text = onboarding::dns_hosts_text(config, snapshot);
  EXPECT_EQ(text,
            "# meshgate dns-hosts: registry snapshot 3\n"
            "10.1.2.3 db.bar.global\n"
            "fd00::3 db.bar.global\n"
            "# *.foo.global: a hosts file cannot hold a wildcard; use the gateway's DNS\n");
}

TEST(Cli, HelpAndVersion) {
  EXPECT_EQ(parse({"--help"})->command, CliArgs::Command::kHelp);
  EXPECT_EQ(parse({"help"})->command, CliArgs::Command::kHelp);
  EXPECT_EQ(parse({"version"})->command, CliArgs::Command::kVersion);
}

TEST(Cli, BadArgumentsSayWhatIsWrong) {
  std::string error;
  EXPECT_FALSE(parse({"check-config"}, &error));
  EXPECT_EQ(error, "missing FILE");
  EXPECT_FALSE(parse({"frobnicate"}, &error));
  EXPECT_EQ(error, "unknown command 'frobnicate'");
  EXPECT_FALSE(parse({"--log-level", "loud"}, &error));
  EXPECT_EQ(error, "unknown log level 'loud'");
  EXPECT_FALSE(parse({"--config"}, &error));
  EXPECT_EQ(error, "unexpected argument '--config'");
  EXPECT_FALSE(parse({"check-config", "a.yaml", "b.yaml"}, &error));
  EXPECT_EQ(error, "unexpected argument 'b.yaml'");
  EXPECT_FALSE(parse({"check-config", "a.yaml", "--config", "x"}, &error));
}

}  // namespace
}  // namespace meshgate::app

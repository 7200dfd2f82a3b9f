#include "app/cli.h"

#include "onboarding/dns_hosts.h"
#include "onboarding/global_entries.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
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

// --- global-entries ----------------------------------------------------------

TEST(GlobalEntriesCli, DefaultsAndEveryFlag) {
  auto args = parse({"global-entries", "--gateway-address", "192.0.2.10"});
  ASSERT_TRUE(args);
  EXPECT_EQ(args->command, CliArgs::Command::kGlobalEntries);
  EXPECT_EQ(args->global_entries.gateway_address, "192.0.2.10");
  EXPECT_EQ(args->global_entries.gateway_port, 15443);
  EXPECT_EQ(args->global_entries.config_file, "");
  EXPECT_EQ(args->global_entries.ns, "");
  EXPECT_EQ(args->global_entries.network, "");
  EXPECT_EQ(args->global_entries.format, onboarding::GlobalEntriesFormat::kYaml);

  args = parse({"global-entries", "--config", "m.yaml", "--gateway-address", "GW.Example.com",
                "--gateway-port", "16443", "--namespace", "foo", "--network", "network-2",
                "--format", "hosts"});
  ASSERT_TRUE(args);
  EXPECT_EQ(args->global_entries.config_file, "m.yaml");
  EXPECT_EQ(args->global_entries.gateway_address, "gw.example.com");
  EXPECT_EQ(args->global_entries.gateway_port, 16443);
  EXPECT_EQ(args->global_entries.ns, "foo");
  EXPECT_EQ(args->global_entries.network, "network-2");
  EXPECT_EQ(args->global_entries.format, onboarding::GlobalEntriesFormat::kHosts);

  args = parse({"global-entries", "--gateway-address", "FD00:0:0::1"});
  ASSERT_TRUE(args);
  EXPECT_EQ(args->global_entries.gateway_address, "fd00::1");  // as inet_ntop writes it
}

TEST(GlobalEntriesCli, BadArgumentsSayWhatIsWrong) {
  const std::vector<std::pair<std::vector<const char*>, std::string>> cases = {
      {{"global-entries"}, "global-entries: missing --gateway-address"},
      {{"global-entries", "--gateway-address"}, "global-entries: --gateway-address needs a value"},
      {{"global-entries", "--gateway-address", "192.0.2.10", "--verbose"},
       "global-entries: unexpected argument '--verbose'"},
      {{"global-entries", "--gateway-address", "192.0.2.10", "--gateway-port", "0"},
       "--gateway-port: '0' is not a port 1..65535"},
      {{"global-entries", "--gateway-address", "192.0.2.10", "--gateway-port", "65536"},
       "--gateway-port: '65536' is not a port 1..65535"},
      {{"global-entries", "--gateway-address", "192.0.2.10", "--gateway-port", "15443x"},
       "--gateway-port: '15443x' is not a port 1..65535"},
      {{"global-entries", "--gateway-address", "192.0.2.300"},
       "--gateway-address: '192.0.2.300' is neither an IP address nor a DNS name"},
      {{"global-entries", "--gateway-address", "gw_1.example"},
       "--gateway-address: 'gw_1.example' is neither an IP address nor a DNS name"},
      {{"global-entries", "--gateway-address", "[fd00::1]"},
       "--gateway-address: '[fd00::1]' is neither an IP address nor a DNS name"},
      {{"global-entries", "--gateway-address", "192.0.2.10", "--namespace", "Foo"},
       "--namespace: 'Foo' is not a namespace (a DNS-1123 label)"},
      {{"global-entries", "--gateway-address", "192.0.2.10", "--network", "net work"},
       "--network: 'net work' is not a network name (a Kubernetes label value)"},
      {{"global-entries", "--gateway-address", "192.0.2.10", "--format", "json"},
       "--format: 'json' is not yaml or hosts"},
  };
  for (const auto& [args, message] : cases) {
    std::string error;
    EXPECT_FALSE(parse(args, &error)) << message;
    EXPECT_EQ(error, message);
  }
  std::string error;
  EXPECT_FALSE(parse({"--config", "m.yaml", "global-entries"}, &error));
  EXPECT_EQ(error, "unexpected argument 'global-entries'");
}

TEST(GlobalEntriesCli, UsageListsTheCommand) {
  EXPECT_NE(std::string(usage()).find("meshgate global-entries --gateway-address ADDR"),
            std::string::npos);
}

}  // namespace
}  // namespace meshgate::app

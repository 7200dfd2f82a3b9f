// The meshgate command line.
//
//   meshgate [--config FILE] [--log-level LEVEL]   run the gateway
//   meshgate check-config FILE                     validate a config file
//   meshgate check-registry FILE                   validate a registry file
//   meshgate dns-hosts [--config FILE]             /etc/hosts lines for the DNS zones
//   meshgate vm-files --workload-group FILE ...    a VM's mesh files (onboarding/)
//   meshgate global-entries --gateway-address ADDR ...  ServiceEntries for the remote side
//   meshgate version | help
#pragma once

#include <optional>
#include <span>
#include <string>

#include "onboarding/global_entries.h"
#include "onboarding/vm_files.h"

namespace meshgate::app {

struct CliArgs {
  enum class Command {
    kRun,
    kCheckConfig,
    kCheckRegistry,
    kDnsHosts,
    kVmFiles,
    kGlobalEntries,
    kVersion,
    kHelp
  };
  Command command = Command::kRun;
  std::string file;  // --config for kRun and kDnsHosts; the argument of the check commands
  std::string log_level = "info";
  onboarding::VmFilesOptions vm_files;              // for kVmFiles
  onboarding::GlobalEntriesOptions global_entries;  // for kGlobalEntries
};

// Returns nullopt and writes the problem to `error` when the arguments are bad.
std::optional<CliArgs> parse_args(std::span<const char* const> args, std::string& error);

const char* usage();

// Runs a parsed command; returns the process exit code.
int run_command(const CliArgs& args);

}  // namespace meshgate::app

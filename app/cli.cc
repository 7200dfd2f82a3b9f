#include "app/cli.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>
#include <utility>

#include "app/run.h"
#include "config/loader.h"
#include "config/overrides.h"
#include "discovery/file_source.h"
#include "discovery/registry_file.h"
#include "onboarding/dns_hosts.h"
#include "onboarding/global_entries.h"
#include "onboarding/token_fetcher.h"

namespace meshgate::app {
namespace {

std::optional<CliArgs::Command> subcommand(std::string_view word) {
  if (word == "check-config") return CliArgs::Command::kCheckConfig;
  if (word == "check-registry") return CliArgs::Command::kCheckRegistry;
  if (word == "dns-hosts") return CliArgs::Command::kDnsHosts;
  if (word == "vm-files") return CliArgs::Command::kVmFiles;
  if (word == "global-entries") return CliArgs::Command::kGlobalEntries;
  if (word == "version" || word == "--version") return CliArgs::Command::kVersion;
  if (word == "help" || word == "--help" || word == "-h") return CliArgs::Command::kHelp;
  return std::nullopt;
}

// Commands that read every argument after their name with their own parser.
bool parses_own_flags(CliArgs::Command command) {
  return command == CliArgs::Command::kVmFiles || command == CliArgs::Command::kGlobalEntries;
}

std::optional<CliArgs> parse_own_flags(CliArgs parsed, std::span<const char* const> rest,
                                       std::string& error) {
  if (parsed.command == CliArgs::Command::kVmFiles) {
    auto options = onboarding::parse_vm_files_args(rest, error);  // onboarding/vm_files.h
    if (!options) return std::nullopt;
    parsed.vm_files = std::move(*options);
    return parsed;
  }
  auto options = onboarding::parse_global_entries_args(rest, error);  // onboarding/global_entries.h
  if (!options) return std::nullopt;
  parsed.global_entries = std::move(*options);
  return parsed;
}

// Standard output carries the command's text and nothing else.
void log_to_stderr() {
  spdlog::set_default_logger(spdlog::stderr_color_st("stderr"));
  spdlog::set_level(spdlog::level::warn);
}

bool valid_level(std::string_view level) {
  return spdlog::level::from_str(std::string(level)) != spdlog::level::off || level == "off";
}

int check_config(const std::string& file) {
  const config::LoadResult result = config::load_effective_config(file);
  for (const auto& error : result.errors) {
    std::fprintf(stderr, "%s\n", base::format_error(file, error).c_str());
  }
  if (!result.ok()) {
    std::fprintf(stderr, "%s: %zu error(s)\n", file.c_str(), result.errors.size());
    return 1;
  }
  std::printf("%s: OK\n", file.c_str());
  return 0;
}

int check_registry(const std::string& file) {
  std::string text;
  if (const std::string error = discovery::read_registry_file(file, &text); !error.empty()) {
    std::fprintf(stderr, "%s: %s\n", file.c_str(), error.c_str());
    return 1;
  }
  const discovery::RegistryFileResult result = discovery::parse_registry_file(text);
  for (const auto& error : result.errors)
    std::fprintf(stderr, "%s\n", base::format_error(file, error).c_str());
  if (!result.state) return 1;
  std::printf("%s: OK (%zu services, %zu aliases)\n", file.c_str(), result.state->services.size(),
              result.state->aliases.size());
  return 0;
}

int run_vm_files(onboarding::VmFilesOptions options) {
  if (options.token_request) {
    log_to_stderr();
    options.fetch_token = onboarding::kubernetes_token_fetcher(options.kubeconfig);
  }
  return onboarding::run_vm_files(options, std::cout, std::cerr);
}

}  // namespace

const char* usage() {
  static const std::string text =
      std::string(
          "usage:\n"
          "  meshgate [--config FILE] [--log-level LEVEL]  run the gateway (no FILE: embedded "
          "default)\n"
          "  meshgate check-config FILE                    validate a config file\n"
          "  meshgate check-registry FILE                  validate a registry file\n"
          "  meshgate dns-hosts [--config FILE]            /etc/hosts lines for the DNS zones\n") +
      onboarding::vm_files_usage() + onboarding::global_entries_usage() +
      "  meshgate version\n"
      "LEVEL: trace, debug, info, warn, error, critical, off\n";
  return text.c_str();
}

std::optional<CliArgs> parse_args(std::span<const char* const> args, std::string& error) {
  CliArgs parsed;
  std::size_t i = 1;
  if (i < args.size() && args[i][0] != '-') {
    const auto command = subcommand(args[i]);
    if (!command) {
      error = std::string("unknown command '") + args[i] + "'";
      return std::nullopt;
    }
    parsed.command = *command;
    ++i;
  }
  if (parses_own_flags(parsed.command)) return parse_own_flags(parsed, args.subspan(i), error);
  const bool is_check = parsed.command == CliArgs::Command::kCheckConfig ||
                        parsed.command == CliArgs::Command::kCheckRegistry;
  for (; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    const bool has_value = i + 1 < args.size();
    const bool takes_config =
        parsed.command == CliArgs::Command::kRun || parsed.command == CliArgs::Command::kDnsHosts;
    if (arg == "--config" && has_value && takes_config) {
      parsed.file = args[++i];
    } else if (arg == "--log-level" && has_value) {
      parsed.log_level = args[++i];
      if (!valid_level(parsed.log_level)) {
        error = "unknown log level '" + parsed.log_level + "'";
        return std::nullopt;
      }
    } else if (is_check && parsed.file.empty() && !arg.starts_with("-")) {
      parsed.file = arg;
    } else if (auto command = subcommand(arg);
               command && parsed.command == CliArgs::Command::kRun && !parses_own_flags(*command)) {
      parsed.command = *command;  // e.g. "meshgate --help"
    } else {
      error = "unexpected argument '" + std::string(arg) + "'";
      return std::nullopt;
    }
  }
  if (is_check && parsed.file.empty()) {
    error = "missing FILE";
    return std::nullopt;
  }
  return parsed;
}

int run_command(const CliArgs& args) {
  switch (args.command) {
    case CliArgs::Command::kCheckConfig:
      return check_config(args.file);
    case CliArgs::Command::kCheckRegistry:
      return check_registry(args.file);
    case CliArgs::Command::kDnsHosts:
      log_to_stderr();
      return onboarding::print_dns_hosts(args.file);
    case CliArgs::Command::kGlobalEntries:
      log_to_stderr();
      return onboarding::print_global_entries(args.global_entries, std::cout, std::cerr);
    case CliArgs::Command::kVmFiles:
      return run_vm_files(args.vm_files);
    case CliArgs::Command::kVersion:
      std::printf("meshgate %s\n", MESHGATE_VERSION);
      return 0;
    case CliArgs::Command::kHelp:
      std::fputs(usage(), stdout);
      return 0;
    case CliArgs::Command::kRun:
      break;
  }
  spdlog::set_level(spdlog::level::from_str(args.log_level));
  return run_gateway(args.file);
}

}  // namespace meshgate::app

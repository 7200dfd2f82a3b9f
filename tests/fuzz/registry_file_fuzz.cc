// Fuzz target for the registry file parser (discovery/registry_file.h). The
// file is written outside the gateway, so any bytes must give a registry or
// errors. Invariants: no crash and no exception out of parse_registry_file();
// a state exactly when there is no error, every error non-empty and no more
// of them than the error bound allows; a state within the limits. Each input
// runs under the default limits and under tight ones, to reach every bound.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "discovery/registry_file.h"

namespace {

using meshgate::discovery::RegistryFileLimits;
using meshgate::discovery::RegistryFileResult;
using meshgate::discovery::SourceState;

void check(bool invariant) {
  if (!invariant) std::abort();
}

RegistryFileLimits tight_limits() {
  RegistryFileLimits limits;
  limits.max_services = 3;
  limits.max_endpoints = 4;
  limits.max_aliases = 3;
  limits.max_ports = 2;
  limits.max_subsets = 2;
  limits.max_hostnames = 2;
  limits.max_addresses = 2;
  limits.max_labels = 2;
  limits.max_values = 200;
  limits.max_errors = 3;
  return limits;
}

void check_state(const SourceState& state, const RegistryFileLimits& limits) {
  check(state.services.size() <= limits.max_services);
  check(state.aliases.size() <= limits.max_aliases);
  std::size_t endpoints = 0;
  for (const auto& service : state.services) {
    check(!service.name.empty() && !service.ns.empty());
    check(service.ports.size() <= limits.max_ports);
    check(service.subsets.size() <= limits.max_subsets);
    check(service.hostnames.size() <= limits.max_hostnames);
    endpoints += service.endpoints.size();
  }
  check(endpoints <= limits.max_endpoints);
  for (const auto& alias : state.aliases) {
    check(!alias.host.empty() && alias.addresses.size() <= limits.max_addresses);
  }
}

void parse(std::string_view input, const RegistryFileLimits& limits) {
  RegistryFileResult result;
  try {
    result = meshgate::discovery::parse_registry_file(input, limits);
  } catch (...) {
    std::abort();  // the parser's contract: every problem comes back as an error
  }
  check(result.state.has_value() == result.errors.empty());
  // The bound, plus the one error that says the parse stopped.
  check(result.errors.size() <= limits.max_errors + 1);
  for (const meshgate::base::Error& error : result.errors)
    check(!error.message.empty() && error.line > 0);
  if (result.state) check_state(*result.state, limits);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  parse(input, RegistryFileLimits{});
  parse(input, tight_limits());
  return 0;
}

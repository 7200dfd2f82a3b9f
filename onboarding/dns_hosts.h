// `meshgate dns-hosts`: /etc/hosts lines for every name the DNS zones
// answer, for VMs that cannot use the gateway's DNS. The same zone index the
// server answers from, so the lines match its answers exactly.
#pragma once

#include <string>

#include "config/config.h"
#include "discovery/snapshot.h"

namespace meshgate::onboarding {

// "<address> <name>" per address, sorted by name; wildcard names, which a
// hosts file cannot hold, as comments.
std::string dns_hosts_text(const config::Config& config, const discovery::Snapshot& snapshot);

// Loads `config_file` (empty: the embedded default) and every source it names
// once (load_registry_once), prints the lines to stdout; problems to stderr.
// Returns the exit code.
int print_dns_hosts(const std::string& config_file);

}  // namespace meshgate::onboarding

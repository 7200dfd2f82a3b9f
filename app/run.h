// Runs the gateway process until SIGINT or SIGTERM.
#pragma once

#include <string>

namespace meshgate::app {

// `config_file` empty: the embedded default. Returns the process exit code.
int run_gateway(const std::string& config_file);

}  // namespace meshgate::app

#include <cstdio>
#include <span>
#include <string>

#include "app/cli.h"

int main(int argc, char** argv) {
  std::string error;
  const std::span<const char* const> args(argv, static_cast<std::size_t>(argc));
  const auto parsed = meshgate::app::parse_args(args, error);
  if (!parsed) {
    std::fprintf(stderr, "meshgate: %s\n%s", error.c_str(), meshgate::app::usage());
    return 2;
  }
  return meshgate::app::run_command(*parsed);
}

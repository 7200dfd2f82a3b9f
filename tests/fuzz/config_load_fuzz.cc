// Fuzz target for the config loader (config/loader.h), YAML text in. The
// config file comes from outside the process, so the loader must survive any
// bytes. Invariants: no crash and no exception out of load_config_string();
// either a config and no errors, or no config and at least one error, each
// with a message and a line that is 0 (unknown) or within the text; a config
// that loads passes validate_config() on its own.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config/loader.h"
#include "config/validate.h"

namespace {

using meshgate::base::Error;
using meshgate::config::LoadResult;

void check(bool invariant) {
  if (!invariant) std::abort();
}

void check_errors(const LoadResult& result, std::string_view input) {
  check(result.config == nullptr && !result.errors.empty());
  // YAML breaks lines at "\n", "\r\n" and a lone "\r".
  const auto breaks =
      std::count_if(input.begin(), input.end(), [](char c) { return c == '\n' || c == '\r'; });
  const auto lines = static_cast<int>(breaks) + 1;
  for (const Error& error : result.errors) {
    check(!error.message.empty());
    check(error.line >= 0 && error.line <= lines);
    check(!meshgate::base::format_error("config.yaml", error).empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  LoadResult result;
  try {
    result = meshgate::config::load_config_string(input);
  } catch (...) {
    std::abort();  // the loader's contract: every problem comes back as an error
  }
  if (!result.ok()) {
    check_errors(result, input);
    return 0;
  }
  check(result.errors.empty());
  check(meshgate::config::validate_config(*result.config).empty());
  return 0;
}

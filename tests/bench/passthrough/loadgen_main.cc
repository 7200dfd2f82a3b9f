// passthrough_loadgen: the command line. Parses and checks every option,
// runs the mode (loadgen_modes.cc) and prints its one JSON line.
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "tests/bench/passthrough/loadgen.h"

namespace meshgate::bench {
namespace {

constexpr char kUsage[] =
    "usage: passthrough_loadgen --target IP:PORT --sni NAME [--alpn P[,P...]] --mode MODE\n"
    "                           [mode options] [--threads N=1]\n"
    "  --mode bulk     --streams K --seconds S [--chunk BYTES=65536] [--direction up|down]\n"
    "  --mode connrate --concurrency C --seconds S [--message BYTES=64]\n"
    "  --mode latency  --connections C --seconds S [--message BYTES=64]\n"
    "  --mode idle     --connections N [--hold-seconds S=30] [--rate R=2000]\n"
    "Prints one JSON line to stdout; idle prints it once all connections are up,\n"
    "then holds them until stdin reaches EOF or the hold time passes.\n";

// Which modes accept each option ("*": all).
const std::map<std::string, std::set<std::string>>& allowed_options() {
  static const std::map<std::string, std::set<std::string>> options = {
      {"target", {"*"}},
      {"sni", {"*"}},
      {"alpn", {"*"}},
      {"mode", {"*"}},
      {"threads", {"*"}},
      {"seconds", {"bulk", "connrate", "latency"}},
      {"streams", {"bulk"}},
      {"chunk", {"bulk"}},
      {"direction", {"bulk"}},
      {"concurrency", {"connrate"}},
      {"message", {"connrate", "latency"}},
      {"connections", {"latency", "idle"}},
      {"hold-seconds", {"idle"}},
      {"rate", {"idle"}},
  };
  return options;
}

// The options' raw values, or an error message.
struct Parsed {
  std::map<std::string, std::string> values;
  std::string error;
};

Parsed collect(int argc, char** argv) {
  Parsed parsed;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (!arg.starts_with("--")) return {{}, "unexpected argument: " + std::string(arg)};
    arg.remove_prefix(2);
    std::string name(arg.substr(0, arg.find('=')));
    std::string value;
    if (arg.find('=') != std::string_view::npos) {
      value = std::string(arg.substr(arg.find('=') + 1));
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return {{}, "--" + name + " needs a value"};
    }
    if (!allowed_options().contains(name)) return {{}, "unknown option --" + name};
    if (!parsed.values.emplace(name, value).second) return {{}, "--" + name + " given twice"};
  }
  return parsed;
}

// Each parse_* returns "" or the error for `name`.
std::string parse_int(const Parsed& parsed, const std::string& name, int64_t low, int64_t high,
                      int64_t* out) {
  auto it = parsed.values.find(name);
  if (it == parsed.values.end()) return "";
  const std::string& text = it->second;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < low || value > high) {
    return "--" + name + " must be an integer in " + std::to_string(low) + ".." +
           std::to_string(high) + ", got '" + text + "'";
  }
  *out = value;
  return "";
}

std::string parse_number(const Parsed& parsed, const std::string& name, double high, double* out) {
  auto it = parsed.values.find(name);
  if (it == parsed.values.end()) return "";
  char* end = nullptr;
  const double value = std::strtod(it->second.c_str(), &end);
  if (it->second.empty() || *end != '\0' || !std::isfinite(value) || value <= 0 || value > high) {
    return "--" + name + " must be a number in (0, " + std::to_string(static_cast<int64_t>(high)) +
           "], got '" + it->second + "'";
  }
  *out = value;
  return "";
}

std::string parse_target(const std::string& text, asio::ip::tcp::endpoint* out) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string::npos) return "--target must be IP:PORT, got '" + text + "'";
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  boost::system::error_code ec;
  const asio::ip::address address = asio::ip::make_address(host, ec);
  int port = 0;
  const std::string port_text = text.substr(colon + 1);
  auto [end, perr] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec || perr != std::errc() || end != port_text.data() + port_text.size() || port < 1 ||
      port > 65535) {
    return "--target must be an IP literal and a port 1..65535, got '" + text + "'";
  }
  *out = asio::ip::tcp::endpoint(address, static_cast<uint16_t>(port));
  return "";
}

std::vector<std::string> split_alpn(const std::string& text) {
  std::vector<std::string> out;
  std::size_t from = 0;
  while (from <= text.size()) {
    const std::size_t comma = std::min(text.find(',', from), text.size());
    if (comma > from) out.push_back(text.substr(from, comma - from));
    from = comma + 1;
  }
  return out;
}

// Mode-independent options, and that every option given fits the mode.
std::string parse_common(const Parsed& parsed, LoadOptions* options) {
  for (const char* required : {"target", "sni", "mode"}) {
    if (!parsed.values.contains(required)) return std::string("--") + required + " is required";
  }
  const std::string& mode = parsed.values.at("mode");
  static const std::map<std::string, Mode> kModes = {{"bulk", Mode::kBulk},
                                                     {"connrate", Mode::kConnRate},
                                                     {"latency", Mode::kLatency},
                                                     {"idle", Mode::kIdle}};
  if (!kModes.contains(mode)) return "--mode must be bulk, connrate, latency or idle";
  options->mode = kModes.at(mode);
  for (const auto& [name, value] : parsed.values) {
    const auto& modes = allowed_options().at(name);
    if (!modes.contains("*") && !modes.contains(mode)) {
      return "--" + name + " does not apply to --mode " + mode;
    }
  }
  if (std::string error = parse_target(parsed.values.at("target"), &options->target);
      !error.empty()) {
    return error;
  }
  options->sni = parsed.values.at("sni");
  if (parsed.values.contains("alpn")) options->alpn = split_alpn(parsed.values.at("alpn"));
  int64_t threads = 1;
  std::string error = parse_int(parsed, "threads", 1, 256, &threads);
  options->threads = static_cast<int>(threads);
  return error;
}

std::string require(const Parsed& parsed, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (!parsed.values.contains(name)) return std::string("--") + name + " is required";
  }
  return "";
}

std::string parse_mode_options(const Parsed& parsed, LoadOptions* options) {
  int64_t streams = 0, concurrency = 0, connections = 0;
  int64_t chunk = static_cast<int64_t>(options->chunk);
  int64_t message = static_cast<int64_t>(options->message);
  const std::string errors[] = {
      parse_number(parsed, "seconds", 86400, &options->seconds),
      parse_int(parsed, "streams", 1, 100000, &streams),
      parse_int(parsed, "chunk", 1, 64 << 20, &chunk),
      parse_int(parsed, "concurrency", 1, 100000, &concurrency),
      parse_int(parsed, "message", 1, 1 << 20, &message),
      parse_int(parsed, "connections", 1, 1000000, &connections),
      parse_number(parsed, "hold-seconds", 86400, &options->hold_seconds),
      parse_number(parsed, "rate", 1e6, &options->rate),
  };
  for (const std::string& error : errors) {
    if (!error.empty()) return error;
  }
  options->streams = static_cast<int>(streams);
  options->concurrency = static_cast<int>(concurrency);
  options->connections = static_cast<int>(connections);
  options->chunk = static_cast<std::size_t>(chunk);
  options->message = static_cast<std::size_t>(message);
  if (parsed.values.contains("direction")) {
    const std::string& direction = parsed.values.at("direction");
    if (direction != "up" && direction != "down") return "--direction must be up or down";
    options->direction = direction == "up" ? Direction::kUp : Direction::kDown;
  }
  switch (options->mode) {
    case Mode::kBulk:
      return require(parsed, {"streams", "seconds"});
    case Mode::kConnRate:
      return require(parsed, {"concurrency", "seconds"});
    case Mode::kLatency:
      return require(parsed, {"connections", "seconds"});
    case Mode::kIdle:
      break;
  }
  return require(parsed, {"connections"});
}

// Idle's hold: until stdin reaches EOF (or fails) or `seconds` pass.
void hold(double seconds) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                     std::chrono::duration<double>(seconds));
  char sink[4096];
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now()).count();
    if (left <= 0) return;
    pollfd in{.fd = STDIN_FILENO, .events = POLLIN, .revents = 0};
    const int ready = ::poll(&in, 1, static_cast<int>(std::min<int64_t>(left, 60'000)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0 || (in.revents & (POLLERR | POLLNVAL)) != 0) return;
    if (ready == 0) continue;
    const ssize_t got = ::read(STDIN_FILENO, sink, sizeof sink);
    if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN)) return;
  }
}

int usage_error(const std::string& message) {
  std::cerr << "passthrough_loadgen: " << message << "\n" << kUsage;
  return 1;
}

int run(int argc, char** argv) {
  const Parsed parsed = collect(argc, argv);
  if (!parsed.error.empty()) return usage_error(parsed.error);
  LoadOptions options;
  if (std::string error = parse_common(parsed, &options); !error.empty()) return usage_error(error);
  if (std::string error = parse_mode_options(parsed, &options); !error.empty()) {
    return usage_error(error);
  }
  const uint64_t fd_limit = raise_fd_limit();
  const Bytes hello = client_hello(options.sni, options.alpn);
  if (hello.empty()) return usage_error("OpenSSL could not build a ClientHello for this --sni");
  const auto print = [&](const Totals& totals) {
    std::cout << result_json(options, totals) << std::endl;  // flushed: the runner waits on it
    if (std::string errors = error_summary(totals.errors); !errors.empty()) {
      std::cerr << "passthrough_loadgen: " << errors << " (fd limit " << fd_limit << ")\n";
    }
  };
  const Totals totals = run_load(options, hello, [&](const Totals& established) {
    print(established);
    hold(options.hold_seconds);
  });
  if (options.mode != Mode::kIdle) print(totals);
  if (totals.connected == 0) {
    std::cerr << "passthrough_loadgen: nothing could connect to the target\n";
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace meshgate::bench

int main(int argc, char** argv) {
  try {
    return meshgate::bench::run(argc, argv);
  } catch (const std::exception& error) {
    std::cerr << "passthrough_loadgen: " << error.what() << "\n";
    return 1;
  }
}

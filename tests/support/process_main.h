// What the stand-ins run as processes (meshgate-test-apiserver,
// meshgate-test-istiod) share: stopping on SIGTERM or SIGINT, and files
// that appear whole.
#pragma once

#include <signal.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>

namespace meshgate::testing::process {

// Blocks SIGTERM and SIGINT in this thread and in every thread it starts
// after, so that only stop_requested() takes them.
inline void block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

// Waits up to `wait` for SIGTERM or SIGINT; true when one came.
inline bool stop_requested(std::chrono::milliseconds wait) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(wait);
  const timespec left{static_cast<time_t>(seconds.count()),
                      static_cast<long>(std::chrono::nanoseconds(wait - seconds).count())};
  for (;;) {
    if (sigtimedwait(&set, nullptr, &left) >= 0) return true;
    if (errno != EINTR) return false;  // EAGAIN: the time is up
  }
}

// Runs `tick` every `step` until SIGTERM, SIGINT or `lifetime` has passed.
template <typename Tick>
void run_until_stopped(std::chrono::seconds lifetime, std::chrono::milliseconds step,
                       const Tick& tick) {
  const auto end = std::chrono::steady_clock::now() + lifetime;
  while (std::chrono::steady_clock::now() < end && !stop_requested(step))
    tick();
}

// Calls `take(name, value)` for each "--name value" pair of the command
// line; false when a name has no value or `take` refuses the pair.
template <typename Take>
bool for_each_flag(int argc, char** argv, const Take& take) {
  for (int i = 1; i < argc; i += 2) {
    if (i + 1 >= argc || !take(std::string(argv[i]), std::string(argv[i + 1]))) return false;
  }
  return true;
}

// A lifetime in seconds, 1..3600; 0 when `text` is not one.
inline long lifetime_seconds(const std::string& text) {
  const long seconds = std::strtol(text.c_str(), nullptr, 10);
  return seconds >= 1 && seconds <= 3600 ? seconds : 0;
}

// `text` at `path`, renamed into place so a reader never sees half of it.
inline bool write_atomically(const std::filesystem::path& path, const std::string& text) {
  const std::filesystem::path temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << text;
    if (!out.flush()) return false;
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  return !ec;
}

}  // namespace meshgate::testing::process

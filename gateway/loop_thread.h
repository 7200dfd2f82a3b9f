// An io_context on a thread of its own, for a server that must keep
// answering whatever the control thread is busy with: the health port
// answers kubelet and load-balancer probes while the control thread parses
// a large registry file or rebuilds a DNS zone.
#pragma once

#include <chrono>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>

#include "base/asio.h"

namespace meshgate::gateway {

class LoopThread {
 public:
  explicit LoopThread(std::string name);
  ~LoopThread() { stop(); }
  LoopThread(const LoopThread&) = delete;
  LoopThread& operator=(const LoopThread&) = delete;

  asio::io_context& io() { return io_; }

  // Runs `fn` on the loop's thread and waits for its result (or rethrows what
  // it threw). Inline once the loop has stopped. Never from the loop itself.
  template <class Fn>
  std::invoke_result_t<Fn> call(Fn fn) {
    if (stopped_) return fn();
    std::packaged_task<std::invoke_result_t<Fn>()> task(std::move(fn));
    auto result = task.get_future();
    asio::post(io_, [&task] { task(); });
    return result.get();
  }

  // Lets the loop finish what is queued (closing connections), then ends it;
  // past `grace` whatever is left is dropped. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(2000));

 private:
  const std::string name_;
  asio::io_context io_{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard_;
  std::promise<void> finished_;
  std::thread thread_;
  bool stopped_ = false;
};

}  // namespace meshgate::gateway

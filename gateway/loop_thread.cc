#include "gateway/loop_thread.h"

#include <spdlog/spdlog.h>

#include <exception>

namespace meshgate::gateway {

LoopThread::LoopThread(std::string name)
    : name_(std::move(name)), guard_(asio::make_work_guard(io_)) {
  thread_ = std::thread([this] {
    // A handler that throws (only memory exhaustion can) must not end the
    // process: log it and keep serving.
    for (;;) {
      try {
        io_.run();
        break;
      } catch (const std::exception& e) {
        spdlog::error("{} thread: {}", name_, e.what());
      }
    }
    finished_.set_value();
  });
}

void LoopThread::stop(std::chrono::milliseconds grace) {
  if (stopped_) return;
  guard_.reset();
  if (finished_.get_future().wait_for(grace) != std::future_status::ready) {
    spdlog::warn("{} thread: still busy {} ms after stop; cutting it short", name_, grace.count());
    io_.stop();
  }
  thread_.join();
  stopped_ = true;
}

}  // namespace meshgate::gateway

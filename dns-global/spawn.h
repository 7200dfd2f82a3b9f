// co_spawn for the DNS front ends' loops: an exception that ends one is
// logged with what it was, never lost.
#pragma once

#include <spdlog/spdlog.h>

#include <exception>

#include "base/asio.h"

namespace meshgate::dns {

template <typename Executor>
void spawn_logged(const Executor& executor, boost::asio::awaitable<void> task, const char* what) {
  boost::asio::co_spawn(executor, std::move(task), [what](std::exception_ptr error) {
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      spdlog::error("dns: {} ended: {}", what, e.what());
    } catch (...) {
      spdlog::error("dns: {} ended by an unknown exception", what);
    }
  });
}

}  // namespace meshgate::dns

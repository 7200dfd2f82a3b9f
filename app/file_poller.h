// Drives a discovery::FileSource: calls reload() every poll interval on the
// control thread's io_context until stop().
#pragma once

#include <chrono>

#include "base/asio.h"
#include "discovery/file_source.h"

namespace meshgate::app {

class FilePoller {
 public:
  FilePoller(asio::io_context& io, discovery::FileSource& source,
             std::chrono::milliseconds interval);
  void start();
  void stop();

 private:
  asio::awaitable<void> loop();

  discovery::FileSource& source_;
  std::chrono::milliseconds interval_;
  asio::steady_timer timer_;
  bool stopped_ = false;
};

}  // namespace meshgate::app

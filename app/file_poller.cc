#include "app/file_poller.h"

#include <spdlog/spdlog.h>

namespace meshgate::app {

FilePoller::FilePoller(asio::io_context& io, discovery::FileSource& source,
                       std::chrono::milliseconds interval)
    : source_(source), interval_(interval), timer_(io) {}

void FilePoller::start() {
  asio::co_spawn(timer_.get_executor(), loop(), [path = source_.path()](std::exception_ptr error) {
    if (error) spdlog::critical("discovery: poller for {} ended by an exception", path);
  });
}

void FilePoller::stop() {
  stopped_ = true;
  timer_.cancel();
}

asio::awaitable<void> FilePoller::loop() {
  while (!stopped_) {
    timer_.expires_after(interval_);
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stopped_) break;
    // FileSource logs and counts a failure once per distinct bad content.
    source_.reload();
  }
}

}  // namespace meshgate::app

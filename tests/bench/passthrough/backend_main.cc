// passthrough_backend: the benchmark's upstream. Skips the ClientHello record,
// reads the command byte (wire.h) and echoes, sinks (after a greeting) or sends.
//
// One acceptor hands sockets round-robin to N io_contexts, one thread each.
// A session owns one 64 KiB buffer, used for the preamble and then the data,
// and does one operation at a time, so TCP flow control is the only queue.
#include <array>
#include <atomic>
#include <charconv>
#include <csignal>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/asio.h"
#include "tests/bench/passthrough/wire.h"

namespace meshgate::bench {
namespace {

using boost::system::error_code;
using tcp = asio::ip::tcp;

constexpr std::size_t kBufferBytes = 64 * 1024;
constexpr int kMaxConnections = 100'000;
constexpr auto kAcceptRetry = std::chrono::milliseconds(50);

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::atomic<int>& live) : socket_(std::move(socket)), live_(live) {}
  ~Session() { live_.fetch_sub(1, std::memory_order_relaxed); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start() { read_preamble(); }

 private:
  // Every path that stops calling the socket drops the last reference, and
  // the socket's destructor closes it.
  void read_preamble() {
    socket_.async_read_some(asio::buffer(buffer_),
                            [self = shared_from_this()](const error_code& ec, std::size_t n) {
                              if (!ec) self->on_preamble(n);
                            });
  }

  void on_preamble(std::size_t n) {
    const PreambleParser::Result result = parser_.feed(buffer_.data(), n);
    if (result.status == PreambleParser::Status::kNeedMore) return read_preamble();
    if (result.status == PreambleParser::Status::kBad) return;
    switch (parser_.command()) {
      case Command::kEcho:
        // Bytes after the command came in the same read: echo them first.
        if (result.consumed < n) return write_echo(result.consumed, n - result.consumed);
        return read_echo();
      case Command::kSink:
        // Like a TLS server's first flight: at once, before any upload.
        std::memset(buffer_.data(), 0x16, kSinkGreeting);
        return asio::async_write(socket_, asio::buffer(buffer_.data(), kSinkGreeting),
                                 [self = shared_from_this()](const error_code& ec, std::size_t) {
                                   if (!ec) self->read_sink();
                                 });
      case Command::kDownload:
        left_ = parser_.download_count();
        std::memset(buffer_.data(), 0x5a, buffer_.size());
        return send();
    }
  }

  void read_echo() {
    socket_.async_read_some(asio::buffer(buffer_),
                            [self = shared_from_this()](const error_code& ec, std::size_t n) {
                              if (!ec) self->write_echo(0, n);
                            });
  }

  void write_echo(std::size_t from, std::size_t size) {
    asio::async_write(socket_, asio::buffer(buffer_.data() + from, size),
                      [self = shared_from_this()](const error_code& ec, std::size_t) {
                        if (!ec) self->read_echo();
                      });
  }

  void read_sink() {
    socket_.async_read_some(asio::buffer(buffer_),
                            [self = shared_from_this()](const error_code& ec, std::size_t) {
                              if (!ec) self->read_sink();
                            });
  }

  void send() {
    if (left_ == 0) return;
    const std::size_t size = static_cast<std::size_t>(std::min<uint64_t>(left_, buffer_.size()));
    left_ -= size;
    asio::async_write(socket_, asio::buffer(buffer_.data(), size),
                      [self = shared_from_this()](const error_code& ec, std::size_t) {
                        if (!ec) self->send();
                      });
  }

  tcp::socket socket_;
  std::atomic<int>& live_;
  PreambleParser parser_;
  uint64_t left_ = 0;
  std::array<uint8_t, kBufferBytes> buffer_;  // not zeroed: written before it is read
};

class Server {
 public:
  Server(int threads, const tcp::endpoint& listen);
  // Serves until SIGINT or SIGTERM.
  void run();
  tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

 private:
  void accept();
  void on_accept(const error_code& ec, tcp::socket socket);

  std::atomic<int> live_{0};  // before the contexts: sessions die with them
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  tcp::acceptor acceptor_;
  asio::signal_set signals_;
  asio::steady_timer retry_;
  std::size_t next_ = 0;
};

std::vector<std::unique_ptr<asio::io_context>> make_contexts(int threads) {
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  for (int i = 0; i < threads; ++i)
    contexts.push_back(std::make_unique<asio::io_context>(1));
  return contexts;
}

Server::Server(int threads, const tcp::endpoint& listen)
    : contexts_(make_contexts(threads)),
      acceptor_(*contexts_[0]),
      signals_(*contexts_[0], SIGINT, SIGTERM),
      retry_(*contexts_[0]) {
  acceptor_.open(listen.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(listen);
  acceptor_.listen(asio::socket_base::max_listen_connections);
}

void Server::run() {
  signals_.async_wait([this](const error_code& ec, int) {
    if (ec) return;
    error_code ignored;
    acceptor_.close(ignored);
    retry_.cancel();
    for (auto& context : contexts_)
      context->stop();
  });
  accept();
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  for (auto& context : contexts_)
    guards.push_back(asio::make_work_guard(*context));
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < contexts_.size(); ++i) {
    threads.emplace_back([context = contexts_[i].get()] { context->run(); });
  }
  contexts_[0]->run();
  for (auto& thread : threads)
    thread.join();
}

void Server::accept() {
  asio::io_context& target = *contexts_[next_];
  next_ = (next_ + 1) % contexts_.size();
  acceptor_.async_accept(target, [this](const error_code& ec, tcp::socket socket) {
    on_accept(ec, std::move(socket));
  });
}

void Server::on_accept(const error_code& ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    // Out of descriptors and the like: back off rather than spin.
    std::cerr << "passthrough_backend: accept: " << ec.message() << "\n";
    retry_.expires_after(kAcceptRetry);
    retry_.async_wait([this](const error_code& error) {
      if (!error) accept();
    });
    return;
  }
  if (live_.fetch_add(1, std::memory_order_relaxed) < kMaxConnections) {
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    const auto executor = socket.get_executor();
    // Started on its own thread: from then on only that thread touches it.
    asio::post(executor, [session = std::make_shared<Session>(std::move(socket), live_)] {
      session->start();
    });
  } else {
    live_.fetch_sub(1, std::memory_order_relaxed);  // refused: the socket closes here
  }
  accept();
}

constexpr char kUsage[] = "usage: passthrough_backend --listen IP:PORT [--threads N=1]\n";

// IP:PORT (IPv6 as [IP]:PORT); port 0 allowed.
bool parse_listen(const std::string& text, tcp::endpoint* out) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  error_code ec;
  const asio::ip::address address = asio::ip::make_address(host, ec);
  const char* first = text.data() + colon + 1;
  const char* last = text.data() + text.size();
  uint16_t port = 0;
  auto [end, perr] = std::from_chars(first, last, port);
  if (ec || first == last || perr != std::errc() || end != last) return false;
  *out = tcp::endpoint(address, port);
  return true;
}

int usage_error(const std::string& message) {
  std::cerr << "passthrough_backend: " << message << "\n" << kUsage;
  return 1;
}

int run(int argc, char** argv) {
  tcp::endpoint listen;
  bool have_listen = false;
  int threads = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) return usage_error(arg + " needs a value");
    const std::string value = argv[++i];
    if (arg == "--listen") {
      if (!parse_listen(value, &listen)) return usage_error("--listen must be IP:PORT: " + value);
      have_listen = true;
    } else if (arg == "--threads") {
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), threads);
      if (ec != std::errc() || end != value.data() + value.size() || threads < 1 || threads > 256) {
        return usage_error("--threads must be 1..256: " + value);
      }
    } else {
      return usage_error("unknown argument " + arg);
    }
  }
  if (!have_listen) return usage_error("--listen is required");
  raise_fd_limit();
  Server server(threads, listen);
  const tcp::endpoint bound = server.local_endpoint();
  const std::string host = bound.address().is_v6() ? "[" + bound.address().to_string() + "]"
                                                   : bound.address().to_string();
  std::cout << "listening " << host << ":" << bound.port() << std::endl;
  server.run();
  return 0;
}

}  // namespace
}  // namespace meshgate::bench

int main(int argc, char** argv) {
  try {
    return meshgate::bench::run(argc, argv);
  } catch (const std::exception& error) {
    std::cerr << "passthrough_backend: " << error.what() << "\n";
    return 1;
  }
}

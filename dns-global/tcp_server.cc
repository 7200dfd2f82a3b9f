// DNS over TCP.
#include "dns-global/tcp_server.h"

#include <spdlog/spdlog.h>

#include <array>

#include "dns-global/spawn.h"
#include "dns-global/udp_server.h"

namespace meshgate::dns {

// One client connection: read a query, answer it, repeat. A watchdog timer
// closes the socket when a read or a write takes longer than the idle time.
class TcpConnection : public std::enable_shared_from_this<TcpConnection> {
 public:
  // `answered` is called after each reply is written.
  TcpConnection(asio::ip::tcp::socket socket, const Resolve& resolve, DnsStats& stats,
                config::Duration idle, std::function<void()> answered)
      : socket_(std::move(socket)),
        watchdog_(socket_.get_executor()),
        resolve_(resolve),
        stats_(stats),
        idle_(idle),
        answered_(std::move(answered)) {}

  asio::awaitable<void> run();
  void stop() {
    boost::system::error_code ignored;
    socket_.close(ignored);
    watchdog_.cancel();
  }

 private:
  void arm() {
    watchdog_.expires_after(idle_);
    watchdog_.async_wait([self = weak_from_this()](const boost::system::error_code& error) {
      if (auto connection = self.lock(); connection && !error) connection->stop();
    });
  }
  asio::awaitable<std::optional<std::vector<uint8_t>>> answer(std::span<const uint8_t> query);

  asio::ip::tcp::socket socket_;
  asio::steady_timer watchdog_;
  const Resolve& resolve_;
  DnsStats& stats_;
  config::Duration idle_;
  std::function<void()> answered_;
};

asio::awaitable<std::optional<std::vector<uint8_t>>> TcpConnection::answer(
    std::span<const uint8_t> query) {
  boost::system::error_code ignored;
  const auto peer = socket_.remote_endpoint(ignored);
  const Client client{ignored ? std::nullopt : std::optional(to_ip(peer.address())),
                      Transport::kTcp};
  using Signature = void(std::optional<std::vector<uint8_t>>);
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), Signature>(
      [&](auto handler) {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        resolve_(query, client, [shared](std::optional<std::vector<uint8_t>> reply) {
          // Resolve may call back inline: dispatch keeps the handler's executor.
          auto executor = asio::get_associated_executor(*shared);
          asio::post(executor,
                     [shared, reply = std::move(reply)]() mutable { (*shared)(std::move(reply)); });
        });
      },
      asio::use_awaitable);
}

asio::awaitable<void> TcpConnection::run() {
  std::vector<uint8_t> query;
  while (socket_.is_open()) {
    std::array<uint8_t, 2> prefix{};
    boost::system::error_code error;
    arm();
    co_await asio::async_read(socket_, asio::buffer(prefix),
                              asio::redirect_error(asio::use_awaitable, error));
    if (!error) {
      query.resize(static_cast<std::size_t>(prefix[0]) << 8 | prefix[1]);
      co_await asio::async_read(socket_, asio::buffer(query),
                                asio::redirect_error(asio::use_awaitable, error));
    }
    watchdog_.cancel();
    if (error) co_return;  // closed, reset or timed out
    if (query.empty()) {
      // A zero length: no message, nothing to answer, and no way to resync.
      stats_.malformed.add();
      stats_.dropped[static_cast<std::size_t>(DropReason::kShort)].add();
      co_return;
    }
    stats_.queries[static_cast<std::size_t>(Transport::kTcp)].add();
    std::optional<std::vector<uint8_t>> reply = co_await answer(query);
    if (!reply) continue;
    const std::array<uint8_t, 2> length{static_cast<uint8_t>(reply->size() >> 8),
                                        static_cast<uint8_t>(reply->size() & 0xff)};
    arm();
    co_await asio::async_write(
        socket_, std::array<asio::const_buffer, 2>{asio::buffer(length), asio::buffer(*reply)},
        asio::redirect_error(asio::use_awaitable, error));
    watchdog_.cancel();
    if (error) co_return;
    answered_();
  }
}

TcpServer::TcpServer(asio::io_context& io, const asio::ip::tcp::endpoint& at, Resolve resolve,
                     DnsStats& stats, config::Duration idle, uint32_t max_connections)
    : acceptor_(io),
      resolve_(std::move(resolve)),
      stats_(stats),
      idle_(idle),
      table_(max_connections, 0) {
  acceptor_.open(at.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(at);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  local_ = acceptor_.local_endpoint();
}

TcpServer::~TcpServer() {
  stop();
}

void TcpServer::start() {
  spawn_logged(acceptor_.get_executor(), accept_loop(), "TCP accept loop");
}

void TcpServer::stop() {
  stopped_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  for (const auto& [id, connection] : connections_)
    connection->stop();
  connections_.clear();
}

asio::awaitable<void> TcpServer::accept_loop() {
  while (!stopped_) {
    boost::system::error_code error;
    asio::ip::tcp::endpoint peer;
    asio::ip::tcp::socket socket(acceptor_.get_executor());
    co_await acceptor_.async_accept(socket, peer, asio::redirect_error(asio::use_awaitable, error));
    if (stopped_ || error == asio::error::operation_aborted) co_return;
    if (error) {
      // EMFILE and friends: pause briefly instead of spinning.
      asio::steady_timer pause(acceptor_.get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, error));
      continue;
    }
    serve(std::move(socket), peer);
  }
}

// The peer's IPv4 address or IPv6 /64 (the table has no per-client cap here,
// but keeps the key).
base::PrefixKey client_of(const asio::ip::address& address) {
  if (address.is_v4()) return base::prefix_key(address.to_v4().to_bytes(), 32, 64);
  return base::prefix_key(address.to_v6().to_bytes(), 32, 64);
}

void TcpServer::serve(asio::ip::tcp::socket socket, const asio::ip::tcp::endpoint& peer) {
  const base::PrefixKey client = client_of(peer.address());
  make_room(client);
  stats_.tcp_accepted.add();
  stats_.tcp_active.add();
  const uint64_t id = ++next_id_;
  auto connection = std::make_shared<TcpConnection>(std::move(socket), resolve_, stats_, idle_,
                                                    [this, id] { table_.touch(id); });
  connections_.emplace(id, connection);
  table_.add(id, client);
  asio::co_spawn(acceptor_.get_executor(), connection->run(), [this, id](std::exception_ptr error) {
    stats_.tcp_active.sub();
    if (!stopped_) {
      table_.remove(id);
      connections_.erase(id);
    }
    if (error) spdlog::debug("dns: a TCP connection ended with an exception");
  });
}

// Closes whoever must give up a slot for one more connection.
void TcpServer::make_room(const base::PrefixKey& client) {
  for (auto room = table_.make_room(client); room.evict != 0; room = table_.make_room(client)) {
    stats_.tcp_rejected.add();
    if (const auto found = connections_.find(room.evict); found != connections_.end()) {
      found->second->stop();
    }
  }
}

}  // namespace meshgate::dns

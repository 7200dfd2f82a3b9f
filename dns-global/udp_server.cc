// DNS over UDP.
#include "dns-global/udp_server.h"

#include "dns-global/spawn.h"

namespace meshgate::dns {

config::IpAddress to_ip(const asio::ip::address& address) {
  config::IpAddress out;
  if (address.is_v4()) {
    const auto bytes = address.to_v4().to_bytes();
    std::copy(bytes.begin(), bytes.end(), out.bytes.begin());
  } else {
    out.v6 = true;
    out.bytes = address.to_v6().to_bytes();
  }
  return out;
}

UdpServer::UdpServer(asio::io_context& io, const asio::ip::udp::endpoint& at, Resolve resolve,
                     DnsStats& stats)
    : socket_(io, at.protocol()), resolve_(std::move(resolve)), stats_(stats) {
  // No SO_REUSEADDR: on UDP it would let a second process share the port.
  socket_.bind(at);
  socket_.non_blocking(true);
  local_ = socket_.local_endpoint();
}

void UdpServer::start() {
  spawn_logged(socket_.get_executor(), receive_loop(), "UDP receive loop");
}

void UdpServer::stop() {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

asio::awaitable<void> UdpServer::receive_loop() {
  asio::ip::udp::endpoint peer;
  while (socket_.is_open()) {
    boost::system::error_code error;
    const std::size_t size = co_await socket_.async_receive_from(
        asio::buffer(buffer_), peer, asio::redirect_error(asio::use_awaitable, error));
    if (error == asio::error::operation_aborted || !socket_.is_open()) co_return;
    if (error) continue;  // e.g. ICMP port unreachable from an earlier reply
    stats_.queries[static_cast<std::size_t>(Transport::kUdp)].add();
    const Client client{to_ip(peer.address()), Transport::kUdp};
    resolve_(std::span<const uint8_t>(buffer_.data(), size), client,
             [this, peer](std::optional<std::vector<uint8_t>> answer) {
               if (answer) send(std::move(*answer), peer);
             });
  }
}

void UdpServer::send(std::vector<uint8_t> answer, const asio::ip::udp::endpoint& to) {
  if (!socket_.is_open()) return;
  boost::system::error_code error;
  socket_.send_to(asio::buffer(answer), to, 0, error);
  if (error) stats_.dropped[static_cast<std::size_t>(DropReason::kSendError)].add();
}

}  // namespace meshgate::dns

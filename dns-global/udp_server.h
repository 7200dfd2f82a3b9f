// DNS over UDP: one socket, one receive at a time into one 64 KiB buffer.
// Answers are sent without waiting: a reply that would block is dropped and
// counted, as a full socket buffer would drop it anyway.
#pragma once

#include <array>
#include <cstdint>

#include "dns-global/resolve.h"
#include "dns-global/stats.h"
#include "gateway/asio.h"

namespace meshgate::dns {

namespace asio = boost::asio;

class UdpServer {
 public:
  // Binds `at`; throws std::system_error.
  UdpServer(asio::io_context& io, const asio::ip::udp::endpoint& at, Resolve resolve,
            DnsStats& stats);
  UdpServer(const UdpServer&) = delete;
  UdpServer& operator=(const UdpServer&) = delete;

  void start();
  void stop();  // closes the socket; the receive loop ends
  asio::ip::udp::endpoint local_endpoint() const { return local_; }

 private:
  asio::awaitable<void> receive_loop();
  void send(std::vector<uint8_t> answer, const asio::ip::udp::endpoint& to);

  asio::ip::udp::socket socket_;
  asio::ip::udp::endpoint local_;
  Resolve resolve_;
  DnsStats& stats_;
  std::array<uint8_t, 65'536> buffer_{};
};

// The client's address as the responder's allow list reads it.
config::IpAddress to_ip(const asio::ip::address& address);

}  // namespace meshgate::dns

// DNS over UDP: one socket, datagrams taken in batches with recvmmsg until
// the socket is empty, and the answers given at once sent back in one
// sendmmsg, so a busy server makes two system calls per batch instead of
// three per query. Answers are sent without waiting: a reply that would block
// is dropped and counted, as a full socket buffer would drop it anyway.
// Bound to a wildcard address, the socket learns where each datagram was
// sent (pktinfo.h) and its reply leaves from there: clients drop a reply
// from another address, and the kernel would pick one by route, not by query.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "base/asio.h"
#include "dns-global/pktinfo.h"
#include "dns-global/resolve.h"
#include "dns-global/stats.h"

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
  static constexpr std::size_t kBatch = 32;
  static constexpr std::size_t kSlotBytes = 65'536;  // the largest UDP payload

  enum class Drain { kEmpty, kMore, kClosed };

  asio::awaitable<void> receive_loop();
  Drain drain();
  // One recvmmsg and the answers to what it brought; kMore when it filled
  // every slot, so the socket may hold more.
  Drain receive_batch();
  // `local`: where the query was sent, the reply's source (kNone: any).
  void answer(const asio::ip::udp::endpoint& peer, const LocalAddress& local,
              std::span<const uint8_t> query);
  void send(std::vector<uint8_t> answer, const asio::ip::udp::endpoint& to,
            const LocalAddress& from);
  void flush();  // the answers gathered during a batch, in one sendmmsg

  struct Outgoing {
    std::vector<uint8_t> answer;
    asio::ip::udp::endpoint to;
    LocalAddress from;
  };
  // Points `header` at `out` and, when it names a source, at a control
  // message for it in `control`.
  static void prepare(Outgoing& out, iovec& slice, PktinfoBuffer& control, msghdr& header);

  asio::ip::udp::socket socket_;
  asio::ip::udp::endpoint local_;
  Resolve resolve_;
  DnsStats& stats_;
  // kBatch slots, left uninitialised: only the pages datagrams land in are
  // ever touched.
  std::unique_ptr<uint8_t[]> buffers_{new uint8_t[kBatch * kSlotBytes]};
  std::array<sockaddr_storage, kBatch> peers_{};
  bool pktinfo_ = false;  // bound to a wildcard address: each reply names its source
  std::array<PktinfoBuffer, kBatch> controls_{};  // what recvmmsg says of each datagram
  bool batching_ = false;
  std::vector<Outgoing> outgoing_;  // answers given during the current batch
};

// The client's address as the responder's allow list reads it.
base::IpAddress to_ip(const asio::ip::address& address);

}  // namespace meshgate::dns

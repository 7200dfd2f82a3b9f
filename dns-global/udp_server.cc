// DNS over UDP.
#include "dns-global/udp_server.h"

#include <cerrno>
#include <cstring>

#include "dns-global/spawn.h"

namespace meshgate::dns {
namespace {

// Batches per wake-up before the loop yields to the thread's other work.
constexpr int kBatchesPerTurn = 8;

asio::ip::udp::endpoint to_endpoint(const sockaddr_storage& address, socklen_t length) {
  asio::ip::udp::endpoint endpoint;
  const std::size_t size = std::min<std::size_t>(length, endpoint.capacity());
  std::memcpy(endpoint.data(), &address, size);
  endpoint.resize(size);
  return endpoint;
}

}  // namespace

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
  outgoing_.reserve(kBatch);
}

void UdpServer::start() {
  spawn_logged(socket_.get_executor(), receive_loop(), "UDP receive loop");
}

void UdpServer::stop() {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

// Asio's reactor is edge-triggered: wait only once a receive found the socket
// empty, never while datagrams may be queued.
asio::awaitable<void> UdpServer::receive_loop() {
  // Behind whatever was posted before the server started (a first zone), as
  // a queued receive would be.
  co_await asio::post(socket_.get_executor(), asio::use_awaitable);
  for (;;) {
    const Drain drained = drain();
    if (drained == Drain::kClosed) co_return;
    if (drained == Drain::kMore) {
      co_await asio::post(socket_.get_executor(), asio::use_awaitable);
      continue;
    }
    boost::system::error_code error;
    co_await socket_.async_wait(asio::ip::udp::socket::wait_read,
                                asio::redirect_error(asio::use_awaitable, error));
    if (error == asio::error::operation_aborted || !socket_.is_open()) co_return;
  }
}

UdpServer::Drain UdpServer::drain() {
  for (int batch = 0; batch < kBatchesPerTurn; ++batch) {
    const Drain drained = receive_batch();
    if (drained != Drain::kMore) return drained;
  }
  return Drain::kMore;
}

UdpServer::Drain UdpServer::receive_batch() {
  if (!socket_.is_open()) return Drain::kClosed;
  std::array<iovec, kBatch> slices;
  std::array<mmsghdr, kBatch> messages{};
  for (std::size_t i = 0; i < kBatch; ++i) {
    slices[i] = {buffers_.get() + i * kSlotBytes, kSlotBytes};
    messages[i].msg_hdr.msg_iov = &slices[i];
    messages[i].msg_hdr.msg_iovlen = 1;
    messages[i].msg_hdr.msg_name = &peers_[i];
    messages[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
  }
  const int received =
      ::recvmmsg(socket_.native_handle(), messages.data(), kBatch, MSG_DONTWAIT, nullptr);
  if (received < 0) {
    // An ICMP error from an earlier reply (ECONNREFUSED) is reported once;
    // anything but "empty" is worth another try.
    return errno == EAGAIN || errno == EWOULDBLOCK ? Drain::kEmpty : Drain::kMore;
  }
  batching_ = true;
  for (int i = 0; i < received; ++i) {
    const msghdr& header = messages[i].msg_hdr;
    answer(to_endpoint(peers_[i], header.msg_namelen),
           {buffers_.get() + i * kSlotBytes, messages[i].msg_len});
  }
  batching_ = false;
  flush();
  return static_cast<std::size_t>(received) == kBatch ? Drain::kMore : Drain::kEmpty;
}

void UdpServer::answer(const asio::ip::udp::endpoint& peer, std::span<const uint8_t> query) {
  stats_.queries[static_cast<std::size_t>(Transport::kUdp)].add();
  const Client client{to_ip(peer.address()), Transport::kUdp};
  resolve_(query, client, [this, peer](std::optional<std::vector<uint8_t>> answer) {
    if (answer) send(std::move(*answer), peer);
  });
}

void UdpServer::send(std::vector<uint8_t> answer, const asio::ip::udp::endpoint& to) {
  if (!socket_.is_open()) return;
  if (batching_) {
    outgoing_.push_back({std::move(answer), to});
    return;
  }
  boost::system::error_code error;
  socket_.send_to(asio::buffer(answer), to, 0, error);
  if (error) stats_.dropped[static_cast<std::size_t>(DropReason::kSendError)].add();
}

void UdpServer::flush() {
  std::array<iovec, kBatch> slices;
  std::array<mmsghdr, kBatch> messages{};
  const std::size_t count = std::min(outgoing_.size(), kBatch);
  for (std::size_t i = 0; i < count; ++i) {
    Outgoing& out = outgoing_[i];
    slices[i] = {out.answer.data(), out.answer.size()};
    messages[i].msg_hdr.msg_iov = &slices[i];
    messages[i].msg_hdr.msg_iovlen = 1;
    messages[i].msg_hdr.msg_name = out.to.data();
    messages[i].msg_hdr.msg_namelen = static_cast<socklen_t>(out.to.size());
  }
  std::size_t sent = 0;
  while (sent < count) {
    const int n = ::sendmmsg(socket_.native_handle(), messages.data() + sent,
                             static_cast<unsigned>(count - sent), MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  stats_.dropped[static_cast<std::size_t>(DropReason::kSendError)].add(outgoing_.size() - sent);
  outgoing_.clear();
}

}  // namespace meshgate::dns

// DNS over UDP.
#include "dns-global/udp_server.h"

#include <cerrno>
#include <cstring>
#include <system_error>

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

// sendmmsg until every message is sent or the socket is full; how many were
// sent. A message can fail on its own (its source address removed since
// its query came): it is skipped, not the rest of the batch with it.
std::size_t send_batch(int fd, mmsghdr* messages, std::size_t count) {
  std::size_t next = 0;
  std::size_t sent = 0;
  while (next < count) {
    const int n =
        ::sendmmsg(fd, messages + next, static_cast<unsigned>(count - next), MSG_DONTWAIT);
    if (n > 0) {
      next += static_cast<std::size_t>(n);
      sent += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n == 0 || errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
      break;  // the socket is full, for the rest as well
    } else {
      ++next;
    }
  }
  return sent;
}

}  // namespace

base::IpAddress to_ip(const asio::ip::address& address) {
  base::IpAddress out;
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
  // A socket bound to one address answers from it; only a wildcard one needs
  // the kernel to say where each datagram went, and pays for it.
  if (at.address().is_unspecified()) {
    if (!enable_pktinfo(socket_.native_handle(), at.address().is_v6())) {
      throw std::system_error(errno, std::system_category(), "DNS over UDP: IP_PKTINFO");
    }
    pktinfo_ = true;
  }
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
    if (pktinfo_) {  // the kernel shortens msg_controllen: set anew for every call
      messages[i].msg_hdr.msg_control = &controls_[i];
      messages[i].msg_hdr.msg_controllen = sizeof(PktinfoBuffer);
    }
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
    const LocalAddress local = pktinfo_ ? local_address_of(header) : LocalAddress{};
    answer(to_endpoint(peers_[i], header.msg_namelen), local,
           {buffers_.get() + i * kSlotBytes, messages[i].msg_len});
  }
  batching_ = false;
  flush();
  return static_cast<std::size_t>(received) == kBatch ? Drain::kMore : Drain::kEmpty;
}

void UdpServer::answer(const asio::ip::udp::endpoint& peer, const LocalAddress& local,
                       std::span<const uint8_t> query) {
  stats_.queries[static_cast<std::size_t>(Transport::kUdp)].add();
  const Client client{to_ip(peer.address()), Transport::kUdp};
  resolve_(query, client, [this, peer, local](std::optional<std::vector<uint8_t>> answer) {
    if (answer) send(std::move(*answer), peer, local);
  });
}

void UdpServer::prepare(Outgoing& out, iovec& slice, PktinfoBuffer& control, msghdr& header) {
  slice = {out.answer.data(), out.answer.size()};
  header.msg_iov = &slice;
  header.msg_iovlen = 1;
  header.msg_name = out.to.data();
  header.msg_namelen = static_cast<socklen_t>(out.to.size());
  const std::size_t length = write_pktinfo(out.from, control);
  header.msg_control = length == 0 ? nullptr : &control;
  header.msg_controllen = length;
}

// An answer given after its batch (a forwarded one) goes alone, by sendmsg:
// asio's send_to cannot carry the source address.
void UdpServer::send(std::vector<uint8_t> answer, const asio::ip::udp::endpoint& to,
                     const LocalAddress& from) {
  if (!socket_.is_open()) return;
  Outgoing out{std::move(answer), to, from};
  if (batching_) {
    outgoing_.push_back(std::move(out));
    return;
  }
  iovec slice{};
  PktinfoBuffer control;
  msghdr header{};
  prepare(out, slice, control, header);
  ssize_t sent = 0;
  do {
    sent = ::sendmsg(socket_.native_handle(), &header, MSG_DONTWAIT);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) stats_.dropped[static_cast<std::size_t>(DropReason::kSendError)].add();
}

void UdpServer::flush() {
  std::array<iovec, kBatch> slices;
  std::array<mmsghdr, kBatch> messages{};
  std::array<PktinfoBuffer, kBatch> controls;  // written only for the answers that name a source
  const std::size_t count = std::min(outgoing_.size(), kBatch);
  for (std::size_t i = 0; i < count; ++i)
    prepare(outgoing_[i], slices[i], controls[i], messages[i].msg_hdr);
  const std::size_t sent = send_batch(socket_.native_handle(), messages.data(), count);
  stats_.dropped[static_cast<std::size_t>(DropReason::kSendError)].add(outgoing_.size() - sent);
  outgoing_.clear();
}

}  // namespace meshgate::dns

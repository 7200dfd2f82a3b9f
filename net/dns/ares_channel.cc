#include "net/dns/ares_channel.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <climits>
#include <mutex>
#include <stdexcept>

#include "base/cidr.h"
#include "base/ip.h"

namespace meshgate::net::dns {
namespace {

constexpr uint16_t kDefaultPort = 53;
constexpr uint32_t kMaxAttempts = 16;

void init_library(const std::string& key) {
  static std::once_flag once;
  static int status = ARES_SUCCESS;
  std::call_once(once, [] { status = ares_library_init(ARES_LIB_INIT_ALL); });
  if (status != ARES_SUCCESS) {
    throw std::runtime_error(key + ": c-ares library init failed: " + ares_strerror(status));
  }
}

// c-ares's csv syntax: "1.2.3.4:53,[::1]:5353". Empty for no servers.
std::string servers_csv(const AresOptions& options) {
  std::string csv;
  for (const std::string& text : options.servers) {
    const auto address = base::parse_ip_port(text, kDefaultPort);
    if (!address) {
      throw std::runtime_error(options.key + ": bad server \"" + text +
                               "\" (want ip, ip:port, [ipv6]:port or ipv6)");
    }
    if (!csv.empty()) csv += ',';
    const std::string ip = base::to_string(address->address);
    csv += address->address.v6 ? "[" + ip + "]" : ip;
    csv += ':' + std::to_string(address->port);
  }
  return csv;
}

std::string format_server(const ares_addr_port_node& node) {
  char text[INET6_ADDRSTRLEN] = {};
  const int port = node.udp_port > 0 ? node.udp_port : kDefaultPort;
  if (node.family == AF_INET6) {
    inet_ntop(AF_INET6, &node.addr.addr6, text, sizeof text);
    return "[" + std::string(text) + "]:" + std::to_string(port);
  }
  inet_ntop(AF_INET, &node.addr.addr4, text, sizeof text);
  return std::string(text) + ":" + std::to_string(port);
}

std::vector<std::string> read_servers(ares_channel channel) {
  std::vector<std::string> servers;
  ares_addr_port_node* head = nullptr;
  if (ares_get_servers_ports(channel, &head) != ARES_SUCCESS) return servers;
  for (const ares_addr_port_node* node = head; node != nullptr; node = node->next) {
    servers.push_back(format_server(*node));
  }
  ares_free_data(head);
  return servers;
}

}  // namespace

// One socket c-ares asked us to watch. The descriptor never owns the fd: it is
// released before c-ares closes it.
struct AresChannel::Watch {
  Watch(asio::io_context& io, int socket) : descriptor(io), fd(socket) {}
  asio::posix::stream_descriptor descriptor;
  int fd;
  bool want_read = false;
  bool want_write = false;
  bool reading = false;  // a wait_read is outstanding
  bool writing = false;  // a wait_write is outstanding
  bool open = true;      // false once c-ares gave the socket up
};

AresChannel::AresChannel(asio::io_context& io) : io_(io), timer_(io) {}

AresChannel::~AresChannel() {
  stop();
}

std::shared_ptr<AresChannel> AresChannel::open(asio::io_context& io, const AresOptions& options) {
  init_library(options.key);
  std::shared_ptr<AresChannel> channel(new AresChannel(io));
  channel->init(options);
  return channel;
}

void AresChannel::init(const AresOptions& options) {
  const std::string csv = servers_csv(options);
  ares_options settings{};
  settings.flags = options.pass_error_answers ? ARES_FLAG_NOCHECKRESP : 0;
  settings.timeout = static_cast<int>(std::clamp<int64_t>(options.timeout.count(), 1, INT_MAX));
  settings.tries = static_cast<int>(std::clamp<uint32_t>(options.attempts, 1, kMaxAttempts));
  settings.sock_state_cb = &AresChannel::on_sock_state;
  settings.sock_state_cb_data = this;
  const int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB;
  int status = ares_init_options(&channel_, &settings, mask);
  if (status != ARES_SUCCESS) {
    channel_ = nullptr;
    throw std::runtime_error(options.key + ": c-ares init failed: " + ares_strerror(status));
  }
  if (!csv.empty()) {
    status = ares_set_servers_ports_csv(channel_, csv.c_str());
    if (status != ARES_SUCCESS) {
      throw std::runtime_error(options.key + ": c-ares rejected \"" + csv +
                               "\": " + ares_strerror(status));
    }
  }
  servers_ = read_servers(channel_);
}

void AresChannel::on_sock_state(void* data, ares_socket_t fd, int readable, int writable) {
  static_cast<AresChannel*>(data)->socket_state(fd, readable != 0, writable != 0);
}

void AresChannel::socket_state(int fd, bool readable, bool writable) {
  auto it = watches_.find(fd);
  if (!readable && !writable) {  // c-ares is about to close the socket
    if (it != watches_.end()) {
      release(*it->second);
      watches_.erase(it);
    }
    return;
  }
  if (channel_ == nullptr) return;
  if (it == watches_.end()) {
    auto watch = std::make_shared<Watch>(io_, fd);
    boost::system::error_code ec;
    watch->descriptor.assign(fd, ec);
    if (ec) return;  // unwatched: c-ares's timeout still ends its queries
    it = watches_.emplace(fd, std::move(watch)).first;
  }
  it->second->want_read = readable;
  it->second->want_write = writable;
  wait(it->second, false);
  wait(it->second, true);
}

void AresChannel::wait(const std::shared_ptr<Watch>& watch, bool for_write) {
  bool& pending = for_write ? watch->writing : watch->reading;
  const bool wanted = for_write ? watch->want_write : watch->want_read;
  if (pending || !wanted || !watch->open) return;
  pending = true;
  const auto type = for_write ? asio::posix::stream_descriptor::wait_write
                              : asio::posix::stream_descriptor::wait_read;
  watch->descriptor.async_wait(
      type, [weak = weak_from_this(), watch, for_write](const boost::system::error_code& ec) {
        (for_write ? watch->writing : watch->reading) = false;
        const auto self = weak.lock();
        if (ec || !self || !watch->open) return;
        self->on_ready(watch, for_write);
      });
}

void AresChannel::on_ready(const std::shared_ptr<Watch>& watch, bool for_write) {
  if (channel_ == nullptr) return;
  if (for_write ? watch->want_write : watch->want_read) {
    ares_process_fd(channel_, for_write ? ARES_SOCKET_BAD : watch->fd,
                    for_write ? watch->fd : ARES_SOCKET_BAD);
    kick();
  }
  wait(watch, for_write);  // unless c-ares gave the socket up meanwhile
}

void AresChannel::kick() {
  if (channel_ == nullptr) return;
  timeval storage{};
  const timeval* next = ares_timeout(channel_, nullptr, &storage);
  if (next == nullptr) {
    timer_.cancel();
    return;
  }
  timer_.expires_after(std::chrono::seconds(next->tv_sec) +
                       std::chrono::microseconds(next->tv_usec));
  timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    const auto self = weak.lock();
    if (ec || !self || self->channel_ == nullptr) return;
    ares_process_fd(self->channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    self->kick();
  });
}

void AresChannel::release(Watch& watch) {
  watch.open = false;
  watch.descriptor.release();  // cancels its waits; the fd stays c-ares's
}

void AresChannel::stop() {
  if (channel_ != nullptr) {
    // Calls back every pending query (ARES_EDESTRUCTION) and reports each
    // socket closed. channel_ stays set meanwhile: a callback may look.
    ares_channel channel = channel_;
    ares_destroy(channel);
    channel_ = nullptr;
  }
  for (auto& entry : watches_)
    release(*entry.second);
  watches_.clear();
  timer_.cancel();
}

}  // namespace meshgate::net::dns

// c-ares on Asio: c-ares reports which sockets it wants watched through its
// sock-state callback; each gets a stream_descriptor that only waits for
// readiness (c-ares does every read, write and close itself), and one
// steady_timer runs c-ares's timeouts. Everything runs on the io_context's
// thread; the user's callbacks are always posted, never called inline.
#include "dns-global/forwarder.h"

#include "base/cidr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <ares.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <climits>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "base/ip.h"

namespace meshgate::dns {
namespace {

constexpr std::size_t kHeaderSize = 12;
constexpr std::size_t kMaxMessage = 65535;
// Every query in flight has its own wire id; keep half the id space free so
// picking a fresh one stays cheap.
constexpr std::size_t kMaxIdsInFlight = 32768;
constexpr uint16_t kDefaultPort = 53;
constexpr int kMaxTries = 16;

void init_library() {
  static std::once_flag once;
  static int status = ARES_SUCCESS;
  std::call_once(once, [] { status = ares_library_init(ARES_LIB_INIT_ALL); });
  if (status != ARES_SUCCESS) {
    throw std::runtime_error(std::string("dns.forward: c-ares library init failed: ") +
                             ares_strerror(status));
  }
}

uint16_t read_id(const uint8_t* message) {
  return static_cast<uint16_t>((message[0] << 8) | message[1]);
}

void write_id(uint8_t* message, uint16_t id) {
  message[0] = static_cast<uint8_t>(id >> 8);
  message[1] = static_cast<uint8_t>(id & 0xff);
}

// ---- Upstream strings -------------------------------------------------------

// c-ares's csv syntax: "1.2.3.4:53,[::1]:5353". Empty for no upstreams.
std::string upstreams_csv(const std::vector<std::string>& upstreams) {
  std::string csv;
  for (const auto& text : upstreams) {
    const auto address = base::parse_ip_port(text, kDefaultPort);
    if (!address) {
      throw std::runtime_error("dns.forward.upstreams: bad upstream \"" + text +
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

// ---- The channel and its sockets -------------------------------------------

// One socket c-ares asked us to watch. The descriptor never owns the fd: it is
// released before c-ares closes it.
struct Watch {
  Watch(asio::io_context& io, int socket) : descriptor(io), fd(socket) {}
  asio::posix::stream_descriptor descriptor;
  int fd;
  bool want_read = false;
  bool want_write = false;
  bool reading = false;  // a wait_read is outstanding
  bool writing = false;  // a wait_write is outstanding
  bool open = true;      // false once c-ares gave the socket up
};

struct Core;

// One query handed to ares_send; owned by c-ares until its callback.
struct Request {
  Core* core;
  Forwarder::Callback callback;
  uint16_t client_id;
  uint16_t wire_id;
};

void on_sock_state(void* data, ares_socket_t fd, int readable, int writable);
void on_answer(void* arg, int status, int timeouts, unsigned char* answer, int length);

struct Core : std::enable_shared_from_this<Core> {
  Core(asio::io_context& context, std::size_t max_in_flight)
      : io(context), timer(context), limit(std::min(max_in_flight, kMaxIdsInFlight)) {}
  ~Core() { stop(); }
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  void open(const config::DnsForward& forward, const std::string& csv);
  void send(std::span<const uint8_t> query, Forwarder::Callback callback);
  void finish(std::unique_ptr<Request> request, int status, const uint8_t* answer, int length);
  void socket_state(int fd, bool readable, bool writable);
  void stop();

  void deliver(Forwarder::Callback callback, ForwardStatus status,
               std::vector<uint8_t> response = {});
  uint16_t fresh_wire_id();
  void wait(const std::shared_ptr<Watch>& watch, bool for_write);
  void on_ready(const std::shared_ptr<Watch>& watch, bool for_write);
  void arm_timer();
  static void release(Watch& watch);

  asio::io_context& io;
  asio::steady_timer timer;
  const std::size_t limit;
  ares_channel channel = nullptr;
  std::unordered_map<int, std::shared_ptr<Watch>> watches;
  std::unordered_set<uint16_t> wire_ids;
  std::size_t in_flight = 0;
  bool stopped = false;
  std::vector<std::string> servers;
  std::random_device id_source;
};

void Core::open(const config::DnsForward& forward, const std::string& csv) {
  ares_options options{};
  // Pass SERVFAIL, NOTIMP and REFUSED answers back as answers: the client
  // gets the upstream's rcode as is.
  options.flags = ARES_FLAG_NOCHECKRESP;
  options.timeout = static_cast<int>(std::clamp<int64_t>(forward.timeout.count(), 1, INT_MAX));
  options.tries = static_cast<int>(std::clamp<uint32_t>(forward.attempts, 1, kMaxTries));
  options.sock_state_cb = &on_sock_state;
  options.sock_state_cb_data = this;
  const int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB;
  int status = ares_init_options(&channel, &options, mask);
  if (status != ARES_SUCCESS) {
    channel = nullptr;
    throw std::runtime_error(std::string("dns.forward: c-ares init failed: ") +
                             ares_strerror(status));
  }
  if (!csv.empty()) {
    status = ares_set_servers_ports_csv(channel, csv.c_str());
    if (status != ARES_SUCCESS) {
      throw std::runtime_error("dns.forward.upstreams: c-ares rejected \"" + csv +
                               "\": " + ares_strerror(status));
    }
  }
  servers = read_servers(channel);
}

void Core::deliver(Forwarder::Callback callback, ForwardStatus status,
                   std::vector<uint8_t> response) {
  if (!callback) return;
  asio::post(io,
             [callback = std::move(callback), status, response = std::move(response)]() mutable {
               callback(status, std::move(response));
             });
}

uint16_t Core::fresh_wire_id() {
  // At most kMaxIdsInFlight of the 65536 ids are taken: each draw succeeds
  // with probability of at least a half.
  for (;;) {
    const auto id = static_cast<uint16_t>(id_source() & 0xffff);
    if (!wire_ids.contains(id)) return id;
  }
}

void Core::send(std::span<const uint8_t> query, Forwarder::Callback callback) {
  if (stopped || channel == nullptr) return deliver(std::move(callback), ForwardStatus::kStopped);
  if (query.size() < kHeaderSize || query.size() > kMaxMessage) {
    return deliver(std::move(callback), ForwardStatus::kFailed);
  }
  if (in_flight >= limit) return deliver(std::move(callback), ForwardStatus::kOverload);
  auto request = std::make_unique<Request>(
      Request{this, std::move(callback), read_id(query.data()), fresh_wire_id()});
  // c-ares matches answers by id: give every query in flight its own, so two
  // clients that picked the same id never get each other's answers.
  std::vector<uint8_t> wire(query.begin(), query.end());
  write_id(wire.data(), request->wire_id);
  ++in_flight;
  wire_ids.insert(request->wire_id);
  // ares_send copies the buffer; it may call on_answer before returning.
  ares_send(channel, wire.data(), static_cast<int>(wire.size()), &on_answer, request.release());
  arm_timer();
}

void Core::finish(std::unique_ptr<Request> request, int status, const uint8_t* answer, int length) {
  --in_flight;
  wire_ids.erase(request->wire_id);
  ForwardStatus result = ForwardStatus::kFailed;
  std::vector<uint8_t> response;
  const bool is_answer = answer != nullptr && length >= static_cast<int>(kHeaderSize) &&
                         (answer[2] & 0x80) != 0;  // QR
  if (status == ARES_SUCCESS && is_answer) {
    response.assign(answer, answer + length);
    write_id(response.data(), request->client_id);
    result = ForwardStatus::kAnswered;
  } else if (stopped || status == ARES_ECANCELLED || status == ARES_EDESTRUCTION) {
    result = ForwardStatus::kStopped;
  }
  deliver(std::move(request->callback), result, std::move(response));
}

void Core::socket_state(int fd, bool readable, bool writable) {
  auto it = watches.find(fd);
  if (!readable && !writable) {  // c-ares is about to close the socket
    if (it != watches.end()) {
      release(*it->second);
      watches.erase(it);
    }
    return;
  }
  if (stopped) return;
  if (it == watches.end()) {
    auto watch = std::make_shared<Watch>(io, fd);
    boost::system::error_code ec;
    watch->descriptor.assign(fd, ec);
    if (ec) return;  // unwatched: c-ares's timeout still ends its queries
    it = watches.emplace(fd, std::move(watch)).first;
  }
  it->second->want_read = readable;
  it->second->want_write = writable;
  wait(it->second, false);
  wait(it->second, true);
}

void Core::wait(const std::shared_ptr<Watch>& watch, bool for_write) {
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

void Core::on_ready(const std::shared_ptr<Watch>& watch, bool for_write) {
  if (channel == nullptr) return;
  if (for_write ? watch->want_write : watch->want_read) {
    ares_process_fd(channel, for_write ? ARES_SOCKET_BAD : watch->fd,
                    for_write ? watch->fd : ARES_SOCKET_BAD);
    arm_timer();
  }
  wait(watch, for_write);  // unless c-ares gave the socket up meanwhile
}

void Core::arm_timer() {
  if (channel == nullptr) return;
  timeval storage{};
  const timeval* next = ares_timeout(channel, nullptr, &storage);
  if (next == nullptr) {
    timer.cancel();
    return;
  }
  timer.expires_after(std::chrono::seconds(next->tv_sec) +
                      std::chrono::microseconds(next->tv_usec));
  timer.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    const auto self = weak.lock();
    if (ec || !self || self->channel == nullptr) return;
    ares_process_fd(self->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    self->arm_timer();
  });
}

void Core::release(Watch& watch) {
  watch.open = false;
  watch.descriptor.release();  // cancels its waits; the fd stays c-ares's
}

void Core::stop() {
  if (stopped) return;
  stopped = true;
  if (channel != nullptr) {
    // Calls back every pending query (ARES_EDESTRUCTION: kStopped) and
    // reports each socket closed.
    ares_destroy(channel);
    channel = nullptr;
  }
  for (auto& entry : watches)
    release(*entry.second);
  watches.clear();
  timer.cancel();
}

void on_sock_state(void* data, ares_socket_t fd, int readable, int writable) {
  static_cast<Core*>(data)->socket_state(fd, readable != 0, writable != 0);
}

void on_answer(void* arg, int status, int /*timeouts*/, unsigned char* answer, int length) {
  std::unique_ptr<Request> request(static_cast<Request*>(arg));
  Core* core = request->core;
  core->finish(std::move(request), status, answer, length);
}

}  // namespace

const char* to_string(ForwardStatus status) {
  switch (status) {
    case ForwardStatus::kAnswered:
      return "answered";
    case ForwardStatus::kFailed:
      return "failed";
    case ForwardStatus::kOverload:
      return "overload";
    case ForwardStatus::kStopped:
      return "stopped";
  }
  return "unknown";
}

struct Forwarder::Impl {
  std::shared_ptr<Core> core;
};

Forwarder::Forwarder(asio::io_context& io, const config::DnsForward& forward,
                     std::size_t max_in_flight)
    : impl_(std::make_unique<Impl>()) {
  init_library();
  const std::string csv = upstreams_csv(forward.upstreams);
  impl_->core = std::make_shared<Core>(io, max_in_flight);
  impl_->core->open(forward, csv);
}

Forwarder::~Forwarder() {
  stop();
}

void Forwarder::forward(std::span<const uint8_t> query, Callback callback) {
  impl_->core->send(query, std::move(callback));
}

void Forwarder::stop() {
  if (impl_ && impl_->core) impl_->core->stop();
}

std::size_t Forwarder::in_flight() const {
  return impl_->core->in_flight;
}

std::vector<std::string> Forwarder::servers() const {
  return impl_->core->servers;
}

}  // namespace meshgate::dns

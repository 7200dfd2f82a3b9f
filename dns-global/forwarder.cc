// The forwarder's bookkeeping on an AresChannel (net/dns/ares_channel.h):
// a fresh wire id for every query in flight, the client's id put back on the
// answer, a bound on queries in flight. The user's callbacks are always
// posted, never called inline.
#include "dns-global/forwarder.h"

#include <ares.h>

#include <algorithm>
#include <random>
#include <unordered_set>
#include <utility>

#include "net/dns/ares_channel.h"

namespace meshgate::dns {
namespace {

constexpr std::size_t kHeaderSize = 12;
constexpr std::size_t kMaxMessage = 65535;
// Every query in flight has its own wire id; keep half the id space free so
// picking a fresh one stays cheap.
constexpr std::size_t kMaxIdsInFlight = 32768;

uint16_t read_id(const uint8_t* message) {
  return static_cast<uint16_t>((message[0] << 8) | message[1]);
}

void write_id(uint8_t* message, uint16_t id) {
  message[0] = static_cast<uint8_t>(id >> 8);
  message[1] = static_cast<uint8_t>(id & 0xff);
}

struct Core;

// One query handed to ares_send; owned by c-ares until its callback.
struct Request {
  Core* core;
  Forwarder::Callback callback;
  uint16_t client_id;
  uint16_t wire_id;
};

void on_answer(void* arg, int status, int timeouts, unsigned char* answer, int length);

// The forwarder's queries on one c-ares channel: their ids and how many are
// in flight.
struct Core {
  Core(asio::io_context& context, std::size_t max_in_flight)
      : io(context), limit(std::min(max_in_flight, kMaxIdsInFlight)) {}
  ~Core() { stop(); }
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  void send(std::span<const uint8_t> query, Forwarder::Callback callback);
  void finish(std::unique_ptr<Request> request, int status, const uint8_t* answer, int length);
  void stop();
  void deliver(Forwarder::Callback callback, ForwardStatus status,
               std::vector<uint8_t> response = {});
  uint16_t fresh_wire_id();

  asio::io_context& io;
  const std::size_t limit;
  std::shared_ptr<net::dns::AresChannel> channel;
  std::unordered_set<uint16_t> wire_ids;
  std::size_t in_flight = 0;
  bool stopped = false;
  std::random_device id_source;
};

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
  if (stopped || channel->channel() == nullptr) {
    return deliver(std::move(callback), ForwardStatus::kStopped);
  }
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
  ares_send(channel->channel(), wire.data(), static_cast<int>(wire.size()), &on_answer,
            request.release());
  channel->kick();
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

void Core::stop() {
  if (stopped) return;
  stopped = true;
  // Calls back every pending query (ARES_EDESTRUCTION: kStopped).
  if (channel) channel->stop();
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
  impl_->core = std::make_shared<Core>(io, max_in_flight);
  net::dns::AresOptions options;
  options.servers = forward.upstreams;
  options.timeout = forward.timeout;
  options.attempts = forward.attempts;
  // The client gets the upstream's SERVFAIL, NOTIMP or REFUSED as it is.
  options.pass_error_answers = true;
  options.key = "dns.forward.upstreams";
  impl_->core->channel = net::dns::AresChannel::open(io, options);
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
  return impl_->core->channel->servers();
}

}  // namespace meshgate::dns

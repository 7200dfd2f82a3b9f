#include "net/dns/host_resolver.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>
#include <utility>

namespace meshgate::net::dns {
namespace {

constexpr std::size_t kMaxHostName = 253;
constexpr std::size_t kMaxAddresses = 64;  // more than any cluster needs from one name

// One lookup handed to c-ares; owned by c-ares until its callback.
struct Pending {
  asio::io_context* io;
  std::shared_ptr<std::size_t> in_flight;
  HostResolver::Callback callback;
};

void deliver(asio::io_context& io, HostResolver::Callback callback, Lookup lookup) {
  asio::post(io, [callback = std::move(callback), lookup = std::move(lookup)]() mutable {
    callback(std::move(lookup));
  });
}

std::optional<base::IpAddress> address_of(const ares_addrinfo_node& node) {
  base::IpAddress out;
  if (node.ai_family == AF_INET && node.ai_addrlen >= sizeof(sockaddr_in)) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(node.ai_addr);
    std::memcpy(out.bytes.data(), &in->sin_addr, 4);
    return out;
  }
  if (node.ai_family == AF_INET6 && node.ai_addrlen >= sizeof(sockaddr_in6)) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(node.ai_addr);
    out.v6 = true;
    std::memcpy(out.bytes.data(), &in6->sin6_addr, 16);
    return out;
  }
  return std::nullopt;
}

Lookup read_answer(const ares_addrinfo* result) {
  Lookup out;
  int ttl = std::numeric_limits<int>::max();
  for (const ares_addrinfo_node* node = result->nodes; node != nullptr; node = node->ai_next) {
    const std::optional<base::IpAddress> address = address_of(*node);
    if (!address || out.addresses.size() >= kMaxAddresses) continue;
    if (std::find(out.addresses.begin(), out.addresses.end(), *address) != out.addresses.end()) {
      continue;
    }
    out.addresses.push_back(*address);
    ttl = std::min(ttl, std::max(node->ai_ttl, 0));
  }
  out.status = out.addresses.empty() ? LookupStatus::kNoName : LookupStatus::kFound;
  if (!out.addresses.empty()) out.ttl = std::chrono::seconds(ttl);
  return out;
}

LookupStatus status_of(int status) {
  switch (status) {
    case ARES_ENOTFOUND:
    case ARES_ENODATA:
      return LookupStatus::kNoName;
    case ARES_ECANCELLED:
    case ARES_EDESTRUCTION:
      return LookupStatus::kStopped;
    case ARES_EBADNAME:
      return LookupStatus::kBadName;
    default:
      return LookupStatus::kFailed;
  }
}

void on_answer(void* arg, int status, int /*timeouts*/, ares_addrinfo* result) {
  std::unique_ptr<Pending> pending(static_cast<Pending*>(arg));
  --*pending->in_flight;
  Lookup lookup;
  if (status == ARES_SUCCESS && result != nullptr) {
    lookup = read_answer(result);
  } else {
    lookup.status = status_of(status);
  }
  if (result != nullptr) ares_freeaddrinfo(result);
  deliver(*pending->io, std::move(pending->callback), std::move(lookup));
}

int family_of(Family family) {
  switch (family) {
    case Family::kV4:
      return AF_INET;
    case Family::kV6:
      return AF_INET6;
    case Family::kAny:
      return AF_UNSPEC;
  }
  return AF_UNSPEC;
}

}  // namespace

const char* to_string(LookupStatus status) {
  switch (status) {
    case LookupStatus::kFound:
      return "found";
    case LookupStatus::kNoName:
      return "no_name";
    case LookupStatus::kFailed:
      return "failed";
    case LookupStatus::kStopped:
      return "stopped";
    case LookupStatus::kBadName:
      return "bad_name";
  }
  return "unknown";
}

HostResolver::HostResolver(asio::io_context& io, const AresOptions& options)
    : io_(io), channel_(AresChannel::open(io, options)) {}

HostResolver::~HostResolver() {
  stop();
}

void HostResolver::resolve(const std::string& host, Family family, Callback callback) {
  if (channel_->channel() == nullptr) {
    return deliver(io_, std::move(callback), Lookup{LookupStatus::kStopped, {}, {}});
  }
  if (host.empty() || host.size() > kMaxHostName || host.find('\0') != std::string::npos) {
    return deliver(io_, std::move(callback), Lookup{LookupStatus::kBadName, {}, {}});
  }
  ares_addrinfo_hints hints{};
  hints.ai_family = family_of(family);
  // The answer's order, not RFC 6724's: c-ares would sort by connecting a
  // socket to every address.
  hints.ai_flags = ARES_AI_NOSORT;
  ++*in_flight_;
  auto pending = std::make_unique<Pending>(Pending{&io_, in_flight_, std::move(callback)});
  // May call on_answer before it returns (/etc/hosts, an IP literal).
  ares_getaddrinfo(channel_->channel(), host.c_str(), nullptr, &hints, &on_answer,
                   pending.release());
  channel_->kick();
}

void HostResolver::stop() {
  channel_->stop();
}

}  // namespace meshgate::net::dns

#include "discovery/xds/dns_refresher.h"

#include <algorithm>
#include <optional>
#include <utility>

namespace meshgate::discovery::xds {

namespace asio = boost::asio;

struct DnsRefresher::Entry {
  explicit Entry(asio::io_context& io, DnsWant wanted) : want(std::move(wanted)), timer(io) {}
  DnsWant want;
  std::optional<std::vector<std::string>> addresses;  // unset until the first answer
  asio::steady_timer timer;                           // the next lookup
};

namespace {

net::dns::Family query_family(DnsFamily family) {
  if (family == DnsFamily::kV4Only) return net::dns::Family::kV4;
  if (family == DnsFamily::kV6Only) return net::dns::Family::kV6;
  return net::dns::Family::kAny;
}

}  // namespace

DnsRefresher::DnsRefresher(const net::dns::AresOptions& options, OnAnswers on_answers)
    : resolver_(std::make_unique<net::dns::HostResolver>(io_, options)),
      on_answers_(std::move(on_answers)) {}

DnsRefresher::~DnsRefresher() {
  stop();
}

void DnsRefresher::start() {
  if (thread_.joinable() || io_.stopped()) return;
  thread_ = std::thread([this] {
    auto guard = asio::make_work_guard(io_);
    io_.run();
  });
}

void DnsRefresher::stop() {
  if (!thread_.joinable()) return;
  asio::post(io_, [this] {
    resolver_->stop();
    entries_.clear();
    io_.stop();
  });
  thread_.join();
}

void DnsRefresher::want(std::vector<DnsWant> wants, uint64_t generation) {
  asio::post(io_, [this, wants = std::move(wants), generation]() mutable {
    apply(std::move(wants), generation);
  });
}

DnsRefresherStats DnsRefresher::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void DnsRefresher::apply(std::vector<DnsWant> wants, uint64_t generation) {
  std::map<DnsName, std::unique_ptr<Entry>> kept;
  std::vector<DnsName> fresh;
  for (DnsWant& want : wants) {
    auto found = entries_.find(want.name);
    if (found == entries_.end()) {
      fresh.push_back(want.name);
      const DnsName name = want.name;
      kept.emplace(name, std::make_unique<Entry>(io_, std::move(want)));
    } else {
      found->second->want = std::move(want);
      kept.insert(entries_.extract(found));
    }
  }
  entries_ = std::move(kept);  // the forgotten ones' timers are cancelled with them
  generation_ = generation;
  {
    std::lock_guard lock(mutex_);
    stats_.names = entries_.size();
  }
  // No names: nothing to wait for, and nothing to report (the caller
  // publishes such a state itself).
  reported_ = entries_.empty();
  if (entries_.empty()) return;
  for (const DnsName& name : fresh)
    lookup(name);
  report(false);  // at once when every name is already known
}

void DnsRefresher::lookup(const DnsName& name) {
  resolver_->resolve(name.host, query_family(name.family),
                     [this, name](net::dns::Lookup result) { on_lookup(name, std::move(result)); });
}

void DnsRefresher::on_lookup(const DnsName& name, net::dns::Lookup result) {
  if (result.status == net::dns::LookupStatus::kStopped) return;
  const auto found = entries_.find(name);
  if (found == entries_.end()) return;  // no longer wanted
  Entry& entry = *found->second;
  const bool failed = result.status == net::dns::LookupStatus::kFailed;
  bool changed = false;
  if (!failed || !entry.addresses) {
    std::vector<std::string> addresses = pick_family(name.family, result.addresses);
    changed = entry.addresses != addresses;
    entry.addresses = std::move(addresses);
  }
  {
    std::lock_guard lock(mutex_);
    ++stats_.lookups;
    if (failed) ++stats_.failures;
    if (changed) ++stats_.changes;
  }
  schedule(entry, result);
  report(changed);
}

void DnsRefresher::schedule(Entry& entry, const net::dns::Lookup& result) {
  std::chrono::milliseconds wait = entry.want.refresh;
  if (entry.want.respect_ttl && result.status == net::dns::LookupStatus::kFound &&
      result.ttl.count() > 0) {
    wait = result.ttl;
  }
  entry.timer.expires_after(wait);
  entry.timer.async_wait([this, name = entry.want.name](const boost::system::error_code& ec) {
    if (!ec && entries_.contains(name)) lookup(name);
  });
}

// The answers go out once every name has its first, then on every change.
void DnsRefresher::report(bool changed) {
  if (reported_ && !changed) return;
  DnsAnswers answers;
  for (const auto& [name, entry] : entries_) {
    if (!entry->addresses) return;
    answers.emplace(name, *entry->addresses);
  }
  reported_ = true;
  on_answers_(answers, generation_);
}

}  // namespace meshgate::discovery::xds

// Keeps the host names of the DNS clusters resolved, on a thread of its own
// with c-ares (net/dns/host_resolver.h): each name is looked up when it is
// first wanted and again every refresh (or at its answer's TTL, when its
// clusters respect TTLs). As in Envoy, a lookup that fails keeps the last
// addresses; a name that does not exist (or has no address of the family)
// has none.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "base/asio.h"
#include "discovery/xds/dns_names.h"
#include "net/dns/host_resolver.h"

namespace meshgate::discovery::xds {

struct DnsRefresherStats {
  uint64_t lookups = 0;   // answered or failed
  uint64_t failures = 0;  // lookups no server answered (the last addresses kept)
  uint64_t changes = 0;   // lookups that changed a name's addresses
  size_t names = 0;       // names kept resolved
};

class DnsRefresher {
 public:
  // On the refresher's thread: the answers for every name of the last
  // want() (tagged with its generation), once each has had its first
  // answer, and again whenever an answer changes. A want() of no names is
  // never reported.
  using OnAnswers = std::function<void(const DnsAnswers& answers, uint64_t generation)>;

  // Throws std::runtime_error for options c-ares refuses.
  DnsRefresher(const net::dns::AresOptions& options, OnAnswers on_answers);
  ~DnsRefresher();  // stop()
  DnsRefresher(const DnsRefresher&) = delete;
  DnsRefresher& operator=(const DnsRefresher&) = delete;

  void start();
  // Ends every lookup and joins the thread. Idempotent.
  void stop();
  // The names to keep resolved from now on; others are forgotten. An
  // empty list forgets them all.
  void want(std::vector<DnsWant> wants, uint64_t generation);
  DnsRefresherStats stats() const;

 private:
  struct Entry;
  void apply(std::vector<DnsWant> wants, uint64_t generation);
  void lookup(const DnsName& name);
  void on_lookup(const DnsName& name, net::dns::Lookup lookup);
  void schedule(Entry& entry, const net::dns::Lookup& lookup);
  void report(bool changed);

  boost::asio::io_context io_;
  std::unique_ptr<net::dns::HostResolver> resolver_;
  OnAnswers on_answers_;
  std::thread thread_;
  // On the thread only:
  std::map<DnsName, std::unique_ptr<Entry>> entries_;
  uint64_t generation_ = 0;
  bool reported_ = true;  // the last want() has had its answers
  mutable std::mutex mutex_;
  DnsRefresherStats stats_;  // under mutex_
};

}  // namespace meshgate::discovery::xds

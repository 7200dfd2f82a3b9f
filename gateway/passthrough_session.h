// One client connection on a TCP listener, from accept to close. On 15443:
// read the ClientHello under its timeout and route by SNI; on the istiod
// ports: wait for the client's first bytes (a ClientHello, read whole when
// it is one) and take the listener's upstream, whatever the client sends.
// Then connect an endpoint and replay what was read; with a whole ClientHello
// held, an endpoint that sends nothing back in time counts as failed and the
// next one gets the same hello (skipping ejected ones). Then relay both ways
// with half-close, a bound on half-closed time and an idle timeout. The
// session owns both sockets; a worker owns the session set and stops them
// all on shutdown. Nothing here throws.
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "base/asio.h"
#include "gateway/admission.h"
#include "gateway/close_reason.h"
#include "gateway/relay_flow.h"
#include "gateway/routing/listener_kind.h"
#include "gateway/routing/routes.h"
#include "gateway/worker_context.h"
#include "sni/client_hello.h"

namespace meshgate::gateway {

class PassthroughSession : public std::enable_shared_from_this<PassthroughSession>,
                           private RelayFlow::Owner {
 public:
  using Clock = std::chrono::steady_clock;

  // The caller has taken this connection's slot (ctx.admission); `peer` is
  // the client's address as accept() returned it.
  PassthroughSession(asio::ip::tcp::socket client, const asio::ip::tcp::endpoint& peer,
                     WorkerContext& ctx, ListenerKind kind, AdmissionTicket ticket);
  PassthroughSession(const PassthroughSession&) = delete;
  PassthroughSession& operator=(const PassthroughSession&) = delete;

  void start();
  // Idempotent: records the reason, closes both sockets, releases the slot,
  // writes the access-log line.
  void stop(CloseReason reason);

 private:
  enum class Phase { kHello, kConnect, kFirstByte, kRelay };
  enum class Direction { kFromClient, kFromUpstream };
  // What one try of one endpoint came to (passthrough_connect.cc).
  enum class Attempt { kReady, kFailed, kNoDescriptors, kStopped };
  // A step's result: nothing to go on, else why the connection ends.
  using Step = std::optional<CloseReason>;

  asio::awaitable<void> run();
  asio::awaitable<Step> read_client_hello();
  asio::awaitable<std::optional<sni::ParseResult>> read_first_bytes();
  Step route(const Cluster*& cluster);
  Step route_by_sni(const Cluster*& cluster);
  // Connecting (passthrough_connect.cc).
  asio::awaitable<Step> connect_upstream(const Cluster& cluster);
  asio::awaitable<Attempt> try_endpoint(const asio::ip::tcp::endpoint& target,
                                        Clock::time_point begun, Clock::duration timeout,
                                        boost::system::error_code& error);
  asio::awaitable<boost::system::error_code> connect_to(const asio::ip::tcp::endpoint& target);
  asio::awaitable<boost::system::error_code> send_rest_of_hello();
  asio::awaitable<Attempt> first_byte_arrived(boost::system::error_code& error);
  enum class Passed { kWaitAgain, kRelayNow, kUpstreamFailed, kStopped };
  asio::awaitable<Passed> pass_on_client_bytes(boost::system::error_code& error);
  void on_connected(const asio::ip::tcp::endpoint& target);
  void on_connect_failure(const Cluster& cluster, const asio::ip::tcp::endpoint& target,
                          const boost::system::error_code& ec);
  // The relay (passthrough_relay.cc): two RelayFlows and what they report.
  void start_relay();
  CloseReason reset_of(const asio::ip::tcp::socket& socket) const;
  void on_moved(RelayFlow& flow, std::size_t bytes) override;
  void on_activity() override;
  void on_source_done(RelayFlow& flow) override;
  void on_failed(RelayFlow& flow, asio::ip::tcp::socket& socket) override;
  void on_splice_fallback() override;
  void on_mode_switch(bool splicing) override;
  bool stopped() const override { return stopped_; }
  std::shared_ptr<void> keep_alive() override { return shared_from_this(); }

  // The watchdog wakes at `wake` (at or before the deadline), then at each
  // later deadline until one has passed.
  void arm_watchdog(Clock::time_point wake);
  void on_deadline();
  // Phase changes go through set_deadline(), which re-arms the watchdog when
  // the deadline moves earlier; relay activity only extends it.
  void set_deadline(Clock::time_point deadline);
  void extend_idle_deadline();
  Clock::duration idle_bound() const;
  void spawn(asio::awaitable<void> task);
  void count_bytes(Direction direction, std::size_t n);
  void account_close(CloseReason reason);
  void write_access_log(CloseReason reason);

  WorkerContext& ctx_;
  const ListenerKind kind_;
  AdmissionTicket ticket_;  // given back when the session stops
  const ConfigPtr config_;  // as of accept: a reload applies to new connections
  PassthroughStats& stats_;
  RoutesPtr routes_;                   // what this connection routed with
  RouteStats* route_stats_ = nullptr;  // once routed
  const Cluster* cluster_ = nullptr;   // inside routes_, once routed
  ClusterSlot cluster_slot_;           // counted against the cluster's max_connections
  asio::ip::tcp::socket client_;
  asio::ip::tcp::socket upstream_;
  asio::steady_timer timer_;
  Clock::time_point deadline_;
  Clock::time_point armed_;  // when the watchdog wakes next
  const Clock::time_point started_ = Clock::now();
  const std::chrono::system_clock::time_point started_wall_ = std::chrono::system_clock::now();
  Phase phase_ = Phase::kHello;
  bool stopped_ = false;
  bool upstream_open_ = false;   // counted in the balancer
  bool hello_complete_ = false;  // a whole ClientHello is held: an endpoint may be retried
  int flows_running_ = 0;        // 1 once half-closed: timeouts.half_closed applies
  RelayFlow from_client_;        // client_ -> upstream_
  RelayFlow from_upstream_;      // upstream_ -> client_
  uint64_t bytes_from_client_ = 0;
  uint64_t bytes_from_upstream_ = 0;
  sni::ClientHelloParser hello_;
  std::size_t hello_sent_ = 0;        // of the hello, sent by connect_to()
  std::string sni_;                   // for logs
  asio::ip::tcp::endpoint peer_;      // the client
  asio::ip::tcp::endpoint endpoint_;  // the upstream, once connected
};

}  // namespace meshgate::gateway

// The stand-in Kubernetes API server: the store (objects, history, watches),
// request routing and the public API (Impl). The wire format lives in
// kube_apiserver_wire.cc, the connections in kube_apiserver_http.cc.
// Everything but the public methods runs on the server's one io thread, so
// the state needs no locks: public methods post to that thread and wait for
// the answer.
#include "tests/support/kube_apiserver.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/ssl.hpp>
#include <cctype>
#include <cstdint>
#include <deque>
#include <future>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "base/asio.h"
#include "tests/support/kube_apiserver_http.h"
#include "tests/support/kube_apiserver_wire.h"

namespace meshgate::testing {
namespace {

using boost::system::error_code;
using detail::answer_token_request;
using detail::Connection;
using detail::continue_token;
using detail::ContinuePoint;
using detail::dump;
using detail::event_line;
using detail::Exchange;
using detail::expired_continue;
using detail::failure;
using detail::injected_error;
using detail::is_known;
using detail::is_true;
using detail::Json;
using detail::kind_of;
using detail::lookup;
using detail::not_found;
using detail::object_forbidden;
using detail::object_not_found;
using detail::object_target;
using detail::ObjectTarget;
using detail::parse_continue;
using detail::parse_resource;
using detail::parse_target;
using detail::parse_uint;
using detail::Query;
using detail::Request;
using detail::Resource;
using detail::Router;
using detail::token_target;
using detail::WatchSink;
using detail::with_kind;
using Tcp = asio::ip::tcp;

constexpr std::size_t kMaxSnapshots = 64;
constexpr uint64_t kFirstResourceVersion = 1000;
constexpr uint64_t kMaxTimeoutSeconds = 365ULL * 24 * 3600;

// ---------------------------------------------------------------------------
// The store

struct Event {
  uint64_t rv;
  std::string type;
  Json object;
};

struct Collection {
  std::map<std::string, Json> objects;  // by "<namespace>/<name>" or "<name>"
  std::vector<Event> history;
  int error = 0;
  bool applied = false;
};

struct Watch {
  std::shared_ptr<WatchSink> sink;
  std::string collection;
  std::string kind;
  std::string api_version;
  bool bookmarks = false;
  uint64_t last_rv = 0;
  std::unique_ptr<asio::steady_timer> timeout;
};

}  // namespace

struct KubeApiServer::Impl final : Router {
  explicit Impl(KubeApiServerOptions opts);
  ~Impl() override;

  // Runs `f` on the io thread and returns its result (or rethrows).
  template <typename F>
  std::invoke_result_t<F> call(F f) {
    std::packaged_task<std::invoke_result_t<F>()> task(std::move(f));
    auto result = task.get_future();
    asio::post(io, [&task] { task(); });
    return result.get();
  }

  void run();
  void listen(uint16_t at);
  void accept();
  void close_connections();
  void shutdown();

  void serve(const Request& request, Exchange& exchange) override;
  int answer(const Request& request, Exchange& exchange);
  bool authenticated(const Request& request) const;
  int create_token(const std::string& path, const std::string& body, Exchange& exchange);
  int get_one(const ObjectTarget& target, Exchange& exchange);
  int list(const std::string& path, const Resource& resource, const Query& query,
           Exchange& exchange);
  int watch(const std::string& path, const Resource& resource, const Query& query,
            Exchange& exchange);
  std::vector<std::string> initial_events(const std::string& path);
  std::vector<std::string> events_after(const std::string& path, uint64_t from);
  void arm_timeout(Watch& watch, uint64_t seconds);
  const std::map<std::string, Json>* snapshot(const std::string& path, uint64_t rv) const;
  void keep_snapshot(const std::string& path, uint64_t rv);

  std::string apply(const std::string& path, const std::string& text);
  std::string remove(const std::string& path, const std::string& key);
  void record(const std::string& path, std::string type, const Json& object);
  void expire_history();
  void bookmark();
  void prune_watches();
  std::string too_old(uint64_t from) const;

  KubeApiServerOptions options;
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  asio::ssl::context tls{asio::ssl::context::tls_server};
  Tcp::acceptor acceptor{io};
  uint16_t port = 0;
  std::atomic<uint64_t> failures{0};  // exceptions caught at the boundary

  // Io thread only.
  std::string token;
  uint64_t resource_version = kFirstResourceVersion;
  uint64_t history_start = kFirstResourceVersion;
  std::map<std::string, Collection> collections;
  std::map<std::pair<std::string, uint64_t>, std::map<std::string, Json>> snapshots;
  std::deque<std::pair<std::string, uint64_t>> snapshot_order;
  std::list<Watch> watches;
  std::vector<std::weak_ptr<Connection>> connections;
  std::vector<KubeApiRequest> log;

  std::thread thread;  // last: starts once everything above exists
};

KubeApiServer::Impl::Impl(KubeApiServerOptions opts)
    : options(std::move(opts)), token(options.token) {
  detail::configure_tls(tls, options);
  listen(0);
  port = acceptor.local_endpoint().port();
  accept();
  thread = std::thread([this] { run(); });
}

KubeApiServer::Impl::~Impl() {
  call([this] { shutdown(); });
  work.reset();
  thread.join();
}

void KubeApiServer::Impl::run() {
  for (;;) {
    try {
      io.run();
      return;
    } catch (...) {
      failures.fetch_add(1);
    }
  }
}

void KubeApiServer::Impl::listen(uint16_t at) {
  const Tcp::endpoint endpoint(asio::ip::make_address_v4("127.0.0.1"), at);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen();
}

void KubeApiServer::Impl::accept() {
  acceptor.async_accept([this](const error_code& ec, Tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (!ec) {
      std::erase_if(connections, [](const auto& weak) { return weak.expired(); });
      connections.push_back(detail::start_connection(*this, std::move(socket), tls));
    }
    accept();
  });
}

void KubeApiServer::Impl::close_connections() {
  for (const auto& weak : connections) {
    if (const auto connection = weak.lock()) connection->close();
  }
  connections.clear();
  prune_watches();
}

void KubeApiServer::Impl::shutdown() {
  error_code ignored;
  acceptor.close(ignored);
  close_connections();
  watches.clear();
}

bool KubeApiServer::Impl::authenticated(const Request& request) const {
  if (request.client_certificate) return true;
  const std::string_view value = request.authorization;
  const std::size_t space = value.find(' ');
  if (space == std::string_view::npos || token.empty()) return false;
  std::string scheme(value.substr(0, space));
  for (char& c : scheme)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return scheme == "bearer" && value.substr(space + 1) == token;
}

void KubeApiServer::Impl::serve(const Request& request, Exchange& exchange) {
  try {
    log.push_back({request.protocol, request.method, request.target, request.authorization,
                   request.client_certificate, 0});
    const std::size_t index = log.size() - 1;
    log[index].status = answer(request, exchange);
  } catch (...) {
    failures.fetch_add(1);
    try {
      if (!exchange.answered()) exchange.respond(500, dump(failure(500, "stand-in failure")));
      if (!log.empty()) log.back().status = 500;
    } catch (...) {
      failures.fetch_add(1);
    }
  }
}

int KubeApiServer::Impl::answer(const Request& request, Exchange& exchange) {
  auto reply = [&exchange](int code, const Json& body) {
    exchange.respond(code, dump(body));
    return code;
  };
  if (!authenticated(request)) return reply(401, failure(401, "Unauthorized"));
  const auto [path, query] = parse_target(request.target);
  if (request.method == "POST") return create_token(path, request.body, exchange);
  if (const auto target = object_target(path); target && request.method == "GET") {
    return get_one(*target, exchange);
  }
  const std::optional<Resource> resource = parse_resource(path);
  const auto it = collections.find(path);
  const bool watching = is_true(lookup(query, "watch"));
  if (resource && it != collections.end() && it->second.error != 0) {
    const int code = it->second.error;
    return reply(code, injected_error(code, *resource, watching ? "watch" : "list"));
  }
  const bool exists = it != collections.end() && it->second.applied;
  if (!resource || (!exists && !is_known(*resource))) return reply(404, not_found());
  if (request.method != "GET") {
    return reply(405, failure(405,
                              "the server does not allow this method on the requested "
                              "resource"));
  }
  return watching ? watch(path, *resource, query, exchange)
                  : list(path, *resource, query, exchange);
}

// Only TokenRequests are created, for service accounts stored in
// /api/v1/serviceaccounts.
int KubeApiServer::Impl::create_token(const std::string& path, const std::string& body,
                                      Exchange& exchange) {
  const auto target = token_target(path);
  if (!target) {
    exchange.respond(405, dump(failure(405,
                                       "the server does not allow this method on the "
                                       "requested resource")));
    return 405;
  }
  const auto& [ns, name] = *target;
  const auto it = collections.find("/api/v1/serviceaccounts");
  if (it == collections.end() || !it->second.objects.contains(ns + "/" + name)) {
    exchange.respond(404, dump(failure(404, "serviceaccounts \"" + name + "\" not found",
                                       {{"name", name}, {"kind", "serviceaccounts"}})));
    return 404;
  }
  const auto [code, answer] = answer_token_request(ns, name, body);
  exchange.respond(code, dump(answer));
  return code;
}

// One object of a collection; a collection set to fail refuses it too.
int KubeApiServer::Impl::get_one(const ObjectTarget& target, Exchange& exchange) {
  auto reply = [&exchange](int code, const Json& body) {
    exchange.respond(code, dump(body));
    return code;
  };
  const auto it = collections.find(target.collection);
  if (it == collections.end()) return reply(404, object_not_found(target));
  const int error = it->second.error;
  if (error == 403) return reply(403, object_forbidden(target));
  if (error != 0) return reply(error, injected_error(error, target.resource, "get"));
  const auto object = it->second.objects.find(target.ns + "/" + target.name);
  if (object == it->second.objects.end()) return reply(404, object_not_found(target));
  return reply(200, with_kind(object->second, target.collection));
}

// A continue token's snapshot; gone once the history expired (or evicted).
const std::map<std::string, Json>* KubeApiServer::Impl::snapshot(const std::string& path,
                                                                 uint64_t rv) const {
  const auto it = snapshots.find({path, rv});
  return it == snapshots.end() ? nullptr : &it->second;
}

// Later pages of a list read the collection as of its first page.
void KubeApiServer::Impl::keep_snapshot(const std::string& path, uint64_t rv) {
  if (snapshots.contains({path, rv})) return;
  snapshots.emplace(std::pair{path, rv}, collections[path].objects);
  snapshot_order.emplace_back(path, rv);
  if (snapshot_order.size() > kMaxSnapshots) {
    snapshots.erase(snapshot_order.front());
    snapshot_order.pop_front();
  }
}

int KubeApiServer::Impl::list(const std::string& path, const Resource& resource, const Query& query,
                              Exchange& exchange) {
  const std::string limit_text = lookup(query, "limit");
  const std::optional<uint64_t> limit = limit_text.empty() ? 0 : parse_uint(limit_text);
  if (!limit) {
    exchange.respond(400, dump(failure(400, "limit must be a non-negative integer")));
    return 400;
  }
  ContinuePoint from{resource_version, ""};
  const std::map<std::string, Json>* objects = &collections[path].objects;
  if (const std::string token_text = lookup(query, "continue"); !token_text.empty()) {
    const std::optional<ContinuePoint> parsed = parse_continue(token_text);
    if (!parsed) {
      exchange.respond(400, dump(failure(400, "continue key is not valid")));
      return 400;
    }
    from = *parsed;
    objects = from.rv < history_start ? nullptr : snapshot(path, from.rv);
    if (objects == nullptr) {
      exchange.respond(410, dump(expired_continue()));
      return 410;
    }
  }
  Json items = Json::array();
  auto it = objects->lower_bound(from.start);
  for (; it != objects->end() && (*limit == 0 || items.size() < *limit); ++it) {
    items.push_back(it->second);
  }
  Json metadata = {{"resourceVersion", std::to_string(from.rv)}};
  if (it != objects->end()) {
    metadata["continue"] = continue_token({from.rv, it->first});
    metadata["remainingItemCount"] = std::distance(it, objects->end());
    keep_snapshot(path, from.rv);
  }
  const Json body = {{"kind", kind_of(resource.plural) + "List"},
                     {"apiVersion", resource.api_version()},
                     {"metadata", std::move(metadata)},
                     {"items", std::move(items)}};
  exchange.respond(200, dump(body));
  return 200;
}

std::string KubeApiServer::Impl::too_old(uint64_t from) const {
  return event_line("ERROR", failure(410, "too old resource version: " + std::to_string(from) +
                                              " (" + std::to_string(history_start) + ")"));
}

std::vector<std::string> KubeApiServer::Impl::initial_events(const std::string& path) {
  std::vector<std::string> lines;
  for (const auto& [key, object] : collections[path].objects) {
    lines.push_back(event_line("ADDED", with_kind(object, path)));
  }
  return lines;
}

std::vector<std::string> KubeApiServer::Impl::events_after(const std::string& path, uint64_t from) {
  std::vector<std::string> lines;
  for (const Event& event : collections[path].history) {
    if (event.rv > from) lines.push_back(event_line(event.type, with_kind(event.object, path)));
  }
  return lines;
}

int KubeApiServer::Impl::watch(const std::string& path, const Resource& resource,
                               const Query& query, Exchange& exchange) {
  const std::string from_text = lookup(query, "resourceVersion");
  const std::string timeout_text = lookup(query, "timeoutSeconds");
  const std::optional<uint64_t> timeout = timeout_text.empty() ? 0 : parse_uint(timeout_text);
  const bool initial = from_text.empty() || from_text == "0";
  const std::optional<uint64_t> from = initial ? resource_version : parse_uint(from_text);
  if (!timeout || !from) {
    exchange.respond(400, dump(failure(400, "invalid resourceVersion or timeoutSeconds")));
    return 400;
  }
  const bool expired = !initial && *from < history_start;
  const std::shared_ptr<WatchSink> sink = exchange.open_stream();
  if (expired) {
    sink->send(too_old(*from));
    sink->end();
    return 200;
  }
  for (const std::string& line : initial ? initial_events(path) : events_after(path, *from)) {
    sink->send(line);
  }
  Watch& opened = watches.emplace_back();
  opened.sink = sink;
  opened.collection = path;
  opened.kind = kind_of(resource.plural);
  opened.api_version = resource.api_version();
  opened.bookmarks = is_true(lookup(query, "allowWatchBookmarks"));
  opened.last_rv = std::max(*from, resource_version);
  if (*timeout > 0) arm_timeout(opened, *timeout);
  return 200;
}

void KubeApiServer::Impl::arm_timeout(Watch& opened, uint64_t seconds) {
  opened.timeout = std::make_unique<asio::steady_timer>(io);
  opened.timeout->expires_after(std::chrono::seconds(std::min(seconds, kMaxTimeoutSeconds)));
  opened.timeout->async_wait(
      [this, sink = std::weak_ptr<WatchSink>(opened.sink)](const error_code& ec) {
        if (ec) return;
        if (const auto live = sink.lock()) live->end();
        prune_watches();
      });
}

void KubeApiServer::Impl::prune_watches() {
  watches.remove_if([](const Watch& w) { return !w.sink->active(); });
}

std::string KubeApiServer::Impl::apply(const std::string& path, const std::string& text) {
  Json object = Json::parse(text);  // the test's own input: a mistake throws to it
  const Json& metadata = object.at("metadata");
  const std::string name = metadata.at("name").get<std::string>();
  const std::string ns = metadata.value("namespace", "");
  const std::string key = ns.empty() ? name : ns + "/" + name;
  object["metadata"]["resourceVersion"] = std::to_string(++resource_version);
  Collection& collection = collections[path];
  collection.applied = true;
  const bool existed = collection.objects.contains(key);
  collection.objects[key] = object;
  record(path, existed ? "MODIFIED" : "ADDED", object);
  return std::to_string(resource_version);
}

std::string KubeApiServer::Impl::remove(const std::string& path, const std::string& key) {
  Collection& collection = collections[path];
  const auto it = collection.objects.find(key);
  if (it == collection.objects.end()) return "";
  Json object = std::move(it->second);
  collection.objects.erase(it);
  // The deleted object carries the deletion's resourceVersion.
  object["metadata"]["resourceVersion"] = std::to_string(++resource_version);
  record(path, "DELETED", object);
  return std::to_string(resource_version);
}

void KubeApiServer::Impl::record(const std::string& path, std::string type, const Json& object) {
  const std::string line = event_line(type, with_kind(object, path));
  collections[path].history.push_back({resource_version, std::move(type), object});
  prune_watches();
  for (Watch& open : watches) {
    if (open.collection != path) continue;
    open.sink->send(line);
    open.last_rv = resource_version;
  }
}

void KubeApiServer::Impl::expire_history() {
  history_start = resource_version;
  for (auto& [path, collection] : collections)
    collection.history.clear();
  snapshots.clear();
  snapshot_order.clear();
  prune_watches();
  for (Watch& open : watches) {
    open.sink->send(too_old(open.last_rv));
    open.sink->end();
  }
  watches.clear();
}

void KubeApiServer::Impl::bookmark() {
  prune_watches();
  for (Watch& open : watches) {
    if (!open.bookmarks) continue;
    const Json object = {{"kind", open.kind},
                         {"apiVersion", open.api_version},
                         {"metadata", {{"resourceVersion", std::to_string(resource_version)}}}};
    open.sink->send(event_line("BOOKMARK", object));
    open.last_rv = resource_version;
  }
}

// ---------------------------------------------------------------------------
// Public API: each call runs on the io thread.

KubeApiServer::KubeApiServer(KubeApiServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

KubeApiServer::~KubeApiServer() = default;

uint16_t KubeApiServer::port() const {
  return impl_->port;
}

std::string KubeApiServer::apply(const std::string& collection, const std::string& object_json) {
  return impl_->call([&] { return impl_->apply(collection, object_json); });
}

std::string KubeApiServer::remove(const std::string& collection, const std::string& ns,
                                  const std::string& name) {
  return impl_->call(
      [&] { return impl_->remove(collection, ns.empty() ? name : ns + "/" + name); });
}

void KubeApiServer::set_error(const std::string& collection, int code) {
  impl_->call([&] { impl_->collections[collection].error = code; });
}

void KubeApiServer::expire_history() {
  impl_->call([&] { impl_->expire_history(); });
}

void KubeApiServer::bookmark() {
  impl_->call([&] { impl_->bookmark(); });
}

void KubeApiServer::drop_connections() {
  impl_->call([&] { impl_->close_connections(); });
}

void KubeApiServer::set_down(bool down) {
  impl_->call([&] {
    if (down) {
      error_code ignored;
      impl_->acceptor.close(ignored);
      impl_->close_connections();
    } else if (!impl_->acceptor.is_open()) {
      impl_->listen(impl_->port);
      impl_->accept();
    }
  });
}

void KubeApiServer::set_token(const std::string& token) {
  impl_->call([&] { impl_->token = token; });
}

std::vector<KubeApiRequest> KubeApiServer::requests() const {
  return impl_->call([&] { return impl_->log; });
}

size_t KubeApiServer::open_watches() const {
  return impl_->call([&] {
    impl_->prune_watches();
    return impl_->watches.size();
  });
}

}  // namespace meshgate::testing

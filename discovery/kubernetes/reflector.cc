#include "discovery/kubernetes/reflector.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <utility>

#include "discovery/kubernetes/decode.h"

namespace meshgate::discovery::kube {
namespace {

constexpr size_t kMaxErrorBody = 64 * 1024;  // a Status body, read for its message
constexpr auto kWatchDeadlineMargin = std::chrono::seconds(30);

// Query-string encoding of an opaque value (continue tokens are base64).
std::string query_escape(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

// "HTTP 403: <the Status message>" for logs.
std::string describe_status(int status, const std::string& body) {
  std::string text = "HTTP " + std::to_string(status);
  Decoded<Status> decoded = decode_status(body);
  if (decoded.ok() && !decoded.value->message.empty()) text += ": " + decoded.value->message;
  return text;
}

}  // namespace

Reflector::Reflector(ApiClient& client, asio::io_context& io, std::string collection,
                     ReflectorTiming timing, std::function<void()> on_change)
    : client_(client),
      collection_(std::move(collection)),
      timing_(timing),
      on_change_(std::move(on_change)),
      timer_(io),
      random_(std::random_device{}()) {}

Reflector::~Reflector() {
  stop();
}

void Reflector::start() {
  stopped_ = false;
  list("");
}

void Reflector::stop() {
  stopped_ = true;
  timer_.cancel();
  if (request_ != 0) client_.cancel(request_);
  request_ = 0;
}

void Reflector::list(const std::string& continue_token) {
  body_.clear();
  status_ = 0;
  std::string path = collection_ + "?limit=" + std::to_string(timing_.page_limit);
  if (!continue_token.empty()) path += "&continue=" + query_escape(continue_token);
  net::http::ResponseSink sink;
  sink.on_status = [this](int status) { status_ = status; };
  sink.on_data = [this](std::string_view data) {
    const size_t limit = status_ == 200 ? timing_.max_page_bytes : kMaxErrorBody;
    if (body_.size() + data.size() > limit) {
      client_.cancel(request_);
      on_page(0, "", "list page larger than " + std::to_string(limit) + " bytes");
      return;
    }
    body_.append(data);
  };
  sink.on_close = [this](const std::string& error) { on_page(status_, body_, error); };
  request_ = client_.get(path, timing_.list_deadline, std::move(sink));
}

void Reflector::on_page(int status, const std::string& body, const std::string& error) {
  request_ = 0;
  if (error.empty() && (status == 403 || status == 404)) return on_list_unavailable(status);
  std::string resource_version, continue_token, decode_error;
  std::string problem = !error.empty()  ? error
                        : status == 410 ? "continue token expired (410)"
                        : status != 200 ? describe_status(status, body)
                        : !add_page(body, &resource_version, &continue_token, &decode_error)
                            ? "unreadable list: " + decode_error
                            : "";
  if (!problem.empty()) {
    ++stats_.list_failures;
    if (!decode_error.empty()) ++stats_.decode_errors;
    drop_pages();
    failed("list: " + problem);
    retry(status == 410 ? std::chrono::milliseconds(0) : next_backoff(), [this] { list(""); });
    return;
  }
  if (!continue_token.empty()) return list(continue_token);
  resource_version_ = resource_version;
  const bool first = !stats_.synced;
  const bool changed = commit_list(false);
  ++stats_.lists;
  stats_.synced = true;
  stats_.unavailable = false;
  recovered();
  if (changed || first) on_change_();
  watch();
}

// 403 (RBAC does not grant it) or 404 (the CRD is not installed): logged
// once, read as no objects, asked again every unavailable_retry.
void Reflector::on_list_unavailable(int status) {
  if (!stats_.unavailable) {
    spdlog::warn(
        "kubernetes: {}: {} ({}); treated as empty, retried every {} ms", collection_,
        status == 403 ? "forbidden" : "not found",
        status == 403 ? "RBAC does not grant list and watch" : "the resource is not installed",
        timing_.unavailable_retry.count());
  }
  stats_.unavailable = true;
  stats_.healthy = true;
  failures_ = 0;
  drop_pages();
  const bool first = !stats_.synced;
  const bool changed = commit_list(true);
  stats_.synced = true;
  if (changed || first) on_change_();
  retry(timing_.unavailable_retry, [this] { list(""); });
}

void Reflector::watch() {
  status_ = 0;
  body_.clear();
  line_.clear();
  watch_ended_ = false;
  const auto base = timing_.watch_timeout.count();
  const auto timeout = std::chrono::seconds(
      base + static_cast<long>(std::uniform_int_distribution<long>(0, base)(random_)));
  std::string path = collection_ + "?watch=1&resourceVersion=" + query_escape(resource_version_) +
                     "&allowWatchBookmarks=true&timeoutSeconds=" + std::to_string(timeout.count());
  net::http::ResponseSink sink;
  sink.on_status = [this](int status) {
    status_ = status;
    if (status == 200) recovered();
  };
  sink.on_data = [this](std::string_view data) {
    if (status_ == 200) return on_watch_data(data);
    if (body_.size() + data.size() <= kMaxErrorBody) body_.append(data);
  };
  sink.on_close = [this](const std::string& error) { on_watch_close(error); };
  ++stats_.watches;
  request_ = client_.get(path, timeout + kWatchDeadlineMargin, std::move(sink));
}

// Splits the stream into lines (one JSON event each), bounded.
void Reflector::on_watch_data(std::string_view data) {
  while (!data.empty() && !watch_ended_) {
    const size_t newline = data.find('\n');
    std::string_view piece = data.substr(0, newline);
    if (line_.size() + piece.size() > timing_.max_event_bytes) {
      ++stats_.decode_errors;
      relist("a watch event larger than " + std::to_string(timing_.max_event_bytes) + " bytes",
             next_backoff());
      return;
    }
    line_.append(piece);
    if (newline == std::string_view::npos) return;
    data.remove_prefix(newline + 1);
    if (line_.find_first_not_of(" \t\r") != std::string::npos) on_watch_line(line_);
    line_.clear();
  }
}

void Reflector::on_watch_line(std::string_view line) {
  std::string resource_version, error;
  int type = -1;
  LineResult result = apply_line(line, &resource_version, &error, &type);
  if (type >= 0 && type < 5) ++stats_.events[type];
  if (!resource_version.empty()) resource_version_ = std::move(resource_version);
  switch (result) {
    case LineResult::kChanged:
      on_change_();
      return;
    case LineResult::kUnchanged:
      return;
    case LineResult::kExpired:
      return relist("watch: resource version " + resource_version_ + " expired (410)",
                    std::chrono::milliseconds(0));
    case LineResult::kError:
      watch_ended_ = true;
      client_.cancel(request_);
      request_ = 0;
      failed("watch: error event: " + error);
      return retry(next_backoff(), [this] { watch(); });
    case LineResult::kBad:
      ++stats_.decode_errors;
      return relist("unreadable watch event: " + error, next_backoff());
  }
}

void Reflector::on_watch_close(const std::string& error) {
  request_ = 0;
  if (watch_ended_) return;
  if (error.empty() && status_ == 410)
    return relist("watch: 410 Gone", std::chrono::milliseconds(0));
  if (error.empty() && (status_ == 403 || status_ == 404)) return on_list_unavailable(status_);
  if (error.empty() && status_ == 200) {  // timeoutSeconds ran out: resume at once
    return watch();
  }
  ++stats_.watch_drops;
  failed("watch: " + (error.empty() ? describe_status(status_, body_) : error));
  retry(next_backoff(), [this] { watch(); });
}

// Starts over with a full list after `delay`: the watch cannot continue
// from where it was.
void Reflector::relist(const std::string& why, std::chrono::milliseconds delay) {
  watch_ended_ = true;
  if (request_ != 0) client_.cancel(request_);
  request_ = 0;
  ++stats_.relists;
  spdlog::info("kubernetes: {}: {}; listing again", collection_, why);
  drop_pages();
  retry(delay, [this] { list(""); });
}

void Reflector::retry(std::chrono::milliseconds delay, std::function<void()> then) {
  timer_.expires_after(delay);
  timer_.async_wait([this, then = std::move(then)](boost::system::error_code ec) {
    if (ec || stopped_) return;
    then();
  });
}

// initial * 2^(failures-1), at most max_backoff, times a jitter in
// [0.5, 1.5) so that many watches do not come back in step.
std::chrono::milliseconds Reflector::next_backoff() {
  const uint32_t doublings = std::min<uint32_t>(failures_ > 0 ? failures_ - 1 : 0, 20);
  const double base = std::min<double>(
      static_cast<double>(timing_.initial_backoff.count()) * static_cast<double>(1u << doublings),
      static_cast<double>(timing_.max_backoff.count()));
  const double jitter = std::uniform_real_distribution<double>(0.5, 1.5)(random_);
  const double delay = std::min(base * jitter, static_cast<double>(timing_.max_backoff.count()));
  return std::chrono::milliseconds(static_cast<long>(delay));
}

// The first failure of a streak is a warning; the rest are debug lines
// until the server answers again.
void Reflector::failed(const std::string& what) {
  stats_.healthy = false;
  ++failures_;
  if (failures_ == 1) {
    spdlog::warn("kubernetes: {}: {}; retrying with back-off", collection_, what);
  } else {
    spdlog::debug("kubernetes: {}: {} (failure {} in a row)", collection_, what, failures_);
  }
}

void Reflector::recovered() {
  stats_.healthy = true;
  if (failures_ > 0) spdlog::info("kubernetes: {}: the API server answers again", collection_);
  failures_ = 0;
}

}  // namespace meshgate::discovery::kube

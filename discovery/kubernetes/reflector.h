// List+watch of one kind, as client-go's reflector does it: list in pages
// (limit/continue), then watch from the list's resourceVersion with
// bookmarks; a watch that ends or drops resumes from the last version seen
// (no relist); 410 Gone, or an event that cannot be read, relists; failures
// back off exponentially with jitter; 403 Forbidden or 404 Not Found (a
// missing Istio CRD) is logged once, read as "no objects" and retried
// slowly. Everything runs on the ApiClient's io_context thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <string_view>

#include "discovery/kubernetes/api_client.h"

namespace meshgate::discovery::kube {

struct ReflectorTiming {
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{30'000};
  std::chrono::milliseconds unavailable_retry{60'000};  // after 403 or 404
  // A watch asks the server to end it after timeoutSeconds, a random value
  // between this and twice it (spreading the reconnections), as client-go.
  std::chrono::seconds watch_timeout{300};
  std::chrono::milliseconds list_deadline{60'000};  // for one list page
  uint32_t page_limit = 500;
  size_t max_page_bytes = 64 * 1024 * 1024;   // one list page's body
  size_t max_event_bytes = 16 * 1024 * 1024;  // one watch event line
};

struct ReflectorStats {
  uint64_t lists = 0;          // complete lists (all pages)
  uint64_t list_failures = 0;  // pages that failed (status, transport, decode)
  uint64_t relists = 0;        // lists after the first: 410 Gone or unreadable events
  uint64_t watches = 0;        // watch requests started
  uint64_t watch_drops = 0;    // watches that ended by an error, resumed from the last version
  uint64_t events[5] = {};     // by EventType: ADDED, MODIFIED, DELETED, BOOKMARK, ERROR
  uint64_t decode_errors = 0;  // list pages or events that could not be read
  bool synced = false;         // listed once (or found unavailable)
  bool unavailable = false;    // the last answer was 403 or 404
  bool healthy = false;        // the last request reached the server and succeeded
};

class Reflector {
 public:
  // `collection` is the cluster-wide path ("/api/v1/pods"); `on_change` is
  // called after the store changed.
  Reflector(ApiClient& client, asio::io_context& io, std::string collection, ReflectorTiming timing,
            std::function<void()> on_change);
  virtual ~Reflector();
  Reflector(const Reflector&) = delete;
  Reflector& operator=(const Reflector&) = delete;

  void start();
  void stop();
  const std::string& collection() const { return collection_; }
  const ReflectorStats& stats() const { return stats_; }

 protected:
  enum class LineResult { kChanged, kUnchanged, kExpired, kError, kBad };

  // Decodes one list page and keeps its items; false with *error.
  virtual bool add_page(std::string_view body, std::string* resource_version,
                        std::string* continue_token, std::string* error) = 0;
  // Replaces the kind's objects with the pages kept (or none); true if the
  // store changed.
  virtual bool commit_list(bool empty) = 0;
  virtual void drop_pages() = 0;
  // Applies one watch event line; *resource_version set when the event has
  // one; *error says why for kError and kBad.
  virtual LineResult apply_line(std::string_view line, std::string* resource_version,
                                std::string* error, int* event_type) = 0;

 private:
  void list(const std::string& continue_token);
  void on_page(int status, const std::string& body, const std::string& error);
  void on_list_unavailable(int status);
  void watch();
  void on_watch_data(std::string_view data);
  void on_watch_line(std::string_view line);
  void on_watch_close(const std::string& error);
  void relist(const std::string& why, std::chrono::milliseconds delay);
  void retry(std::chrono::milliseconds delay, std::function<void()> then);
  std::chrono::milliseconds next_backoff();
  void failed(const std::string& what);
  void recovered();

  ApiClient& client_;
  std::string collection_;
  ReflectorTiming timing_;
  std::function<void()> on_change_;
  asio::steady_timer timer_;
  std::mt19937_64 random_;
  ReflectorStats stats_;
  ApiClient::RequestId request_ = 0;  // the request in flight (0: none)
  std::string resource_version_;      // watch from here
  std::string body_;                  // the list page being read
  std::string line_;                  // the watch event line being read
  int status_ = 0;                    // of the response being read
  bool watch_ended_ = false;          // the watch stopped on purpose (410, bad event)
  bool stopped_ = true;
  uint32_t failures_ = 0;  // in a row, for the back-off and for logging once
};

}  // namespace meshgate::discovery::kube

// A Reflector for one kind T: decodes its list pages and watch events
// (decode.h) and keeps the Store current.
#pragma once

#include <utility>
#include <vector>

#include "discovery/kubernetes/decode.h"
#include "discovery/kubernetes/reflector.h"
#include "discovery/kubernetes/store.h"

namespace meshgate::discovery::kube {

template <typename T>
class KindReflector final : public Reflector {
 public:
  KindReflector(ApiClient& client, asio::io_context& io, std::string collection,
                ReflectorTiming timing, Store& store, std::function<void()> on_change)
      : Reflector(client, io, std::move(collection), timing, std::move(on_change)), store_(store) {}
  ~KindReflector() override = default;

 protected:
  bool add_page(std::string_view body, std::string* resource_version, std::string* continue_token,
                std::string* error) override {
    Decoded<List<T>> page = decode_list<T>(body);
    if (!page.ok()) {
      *error = std::move(page.error);
      return false;
    }
    *resource_version = std::move(page.value->resource_version);
    *continue_token = std::move(page.value->continue_token);
    for (T& item : page.value->items)
      pages_.push_back(std::move(item));
    return true;
  }

  bool commit_list(bool empty) override {
    std::vector<T> items;
    if (!empty) items = std::move(pages_);
    pages_.clear();
    return store_.replace(std::move(items));
  }

  void drop_pages() override { pages_.clear(); }

  LineResult apply_line(std::string_view line, std::string* resource_version, std::string* error,
                        int* event_type) override {
    Decoded<Event<T>> event = decode_event<T>(line);
    if (!event.ok()) {
      *error = std::move(event.error);
      return LineResult::kBad;
    }
    *event_type = static_cast<int>(event.value->type);
    if (event.value->type == EventType::kError) {
      const Status status = event.value->status.value_or(Status{});
      if (status.code == 410) return LineResult::kExpired;
      *error = std::to_string(status.code) + " " + status.reason + ": " + status.message;
      return LineResult::kError;
    }
    *resource_version = event.value->resource_version;
    if (event.value->type == EventType::kBookmark) return LineResult::kUnchanged;
    return store_.apply(*event.value) ? LineResult::kChanged : LineResult::kUnchanged;
  }

 private:
  Store& store_;
  std::vector<T> pages_;  // the list being read, page by page
};

}  // namespace meshgate::discovery::kube

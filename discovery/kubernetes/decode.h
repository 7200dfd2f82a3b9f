// The API server's JSON into the structs of objects.h: single objects, list
// responses (with metadata.resourceVersion and metadata.continue) and watch
// events ({"type": ..., "object": ...}, BOOKMARK and ERROR included), and
// metav1.Status bodies. Pure: no I/O.
//
// The input is untrusted. Nesting deeper than kMaxJsonDepth is refused
// before parsing (the parser recurses); a field meshgate uses must have the
// type the API gives it, or the object is refused with the field's path;
// fields meshgate does not use are ignored, as a client of a newer server
// must.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "discovery/kubernetes/objects.h"

namespace meshgate::discovery::kube {

inline constexpr int kMaxJsonDepth = 64;

// metav1.Status, the body of API errors and of a watch ERROR event.
struct Status {
  int code = 0;        // HTTP status: 403, 404, 410, ...
  std::string reason;  // "Forbidden", "NotFound", "Expired", "Gone", ...
  std::string message;
  bool operator==(const Status&) const = default;
};

enum class EventType { kAdded, kModified, kDeleted, kBookmark, kError };

template <typename T>
struct Event {
  EventType type = EventType::kAdded;
  std::optional<T> object;       // ADDED, MODIFIED, DELETED
  std::string resource_version;  // of the object, or of the BOOKMARK
  std::optional<Status> status;  // ERROR
};

template <typename T>
struct List {
  std::string resource_version;  // metadata.resourceVersion: watch from here
  std::string continue_token;    // metadata.continue: "" on the last page
  std::vector<T> items;
};

// The value, or why not: "spec.ports[2].port: expected an integer".
template <typename T>
struct Decoded {
  std::optional<T> value;
  std::string error;
  bool ok() const { return value.has_value(); }
};

// T is one of Service, EndpointSlice, Pod, Namespace, ServiceEntry,
// WorkloadEntry, DestinationRule, Gateway.
template <typename T>
Decoded<T> decode_object(std::string_view json);
template <typename T>
Decoded<List<T>> decode_list(std::string_view json);
// One line of a watch stream.
template <typename T>
Decoded<Event<T>> decode_event(std::string_view json);

Decoded<Status> decode_status(std::string_view json);

// What a one-shot request tells the user when the API server refused it:
// "the API server answered <status>", then ": <message>" when the body is an
// object with a string `message` (a metav1.Status), cut to 512 bytes.
std::string describe_refusal(int status, std::string_view body);

}  // namespace meshgate::discovery::kube

// The stand-in Kubernetes API server's wire format, without I/O: metav1.Status
// bodies, collection paths and queries, List kinds and apiVersions, continue
// tokens, watch event lines, HTTP/1.1 framing and the ALPN choice. Internal to
// kube_apiserver*.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace meshgate::testing::detail {

using Json = nlohmann::ordered_json;
using Query = std::map<std::string, std::string>;

// Compact JSON; invalid UTF-8 is replaced rather than thrown on.
std::string dump(const Json& json);

// The HTTP/1.1 reason phrase of a status code ("Unknown" for codes not known).
std::string_view phrase_of(int code);

// A metav1.Status with status Failure; `details` is left out when null.
Json failure(int code, std::string_view message, Json details = nullptr);
Json not_found();
Json expired_continue();

// A collection path: /api/<version>/<plural> or /apis/<group>/<version>/<plural>.
struct Resource {
  std::string group;
  std::string version;
  std::string plural;
  std::string api_version() const { return group.empty() ? version : group + "/" + version; }
};

std::optional<Resource> parse_resource(std::string_view path);

// One namespaced object, from a GET of /api/v1/namespaces/<ns>/<plural>/<name>
// or /apis/<group>/<version>/namespaces/<ns>/<plural>/<name>: the collection
// it is stored in ("/api/v1/configmaps", "/apis/apps/v1/deployments"), that
// collection as a Resource, its namespace and name.
struct ObjectTarget {
  std::string collection;
  Resource resource;
  std::string ns;
  std::string name;
};
std::optional<ObjectTarget> object_target(std::string_view path);
// What the real server answers for a missing object, and for a get the
// caller may not make.
Json object_not_found(const ObjectTarget& target);
Json object_forbidden(const ObjectTarget& target);
// One of the kinds served without anything applied (Kubernetes' own and
// Istio's CRDs).
bool is_known(const Resource& resource);
// "pods" -> "Pod"; a plural not known is singularized and capitalized.
std::string kind_of(std::string_view plural);
// The Status a collection set to fail with `code` answers for `verb`.
Json injected_error(int code, const Resource& resource, std::string_view verb);
// Watch events carry kind and apiVersion, as the real server's do.
Json with_kind(Json object, const std::string& collection);

// A whole decimal number, nothing before or after it.
std::optional<uint64_t> parse_uint(std::string_view text);
// Splits "path?query"; the first value of a repeated parameter wins.
std::pair<std::string, Query> parse_target(std::string_view target);
std::string lookup(const Query& query, const std::string& name);  // "" if absent
bool is_true(std::string_view value);

// Unpadded base64url, so a token needs no escaping in a query string.
std::string base64url(std::string_view in);
std::optional<std::string> unbase64url(std::string_view in);

// Where a paged list goes on: the snapshot's resourceVersion and the first
// key of the next page.
struct ContinuePoint {
  uint64_t rv = 0;
  std::string start;
};

std::string continue_token(const ContinuePoint& point);
std::optional<ContinuePoint> parse_continue(std::string_view token);

// A random UUID, as the real server's Audit-Id header.
std::string audit_id();
// One line of a watch response.
std::string event_line(std::string_view type, const Json& object);

// An HTTP/1.1 request head (the request line and the headers).
struct Head {
  std::string method;
  std::string target;
  std::string version;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// One HTTP/1.1 request framed out of the input buffered on a connection.
struct Framed {
  int error = 0;              // the status to fail with (400, 413, 431); 0: none
  std::optional<Head> head;   // without an error, nullopt: more input is needed
  std::size_t size = 0;       // the bytes of the head and the body
  std::size_t body_size = 0;  // the last body_size bytes of those
};

Framed frame_request(std::string_view input, std::size_t max_head, std::size_t max_body);
// A whole response with a Content-Length.
std::string http1_response(int status, bool keep_alive, std::string_view body);

// The TokenRequest subresource (authentication.k8s.io/v1): the namespace and
// service account of a POST target
// "/api/v1/namespaces/<ns>/serviceaccounts/<name>/token", or nullopt.
std::optional<std::pair<std::string, std::string>> token_target(std::string_view path);
// The answer to a TokenRequest body: 201 and the request with its status
// (token, expirationTimestamp) filled in, or 400 and a Status saying what is
// wrong. The token names the service account and audiences (for tests).
std::pair<int, Json> answer_token_request(std::string_view ns, std::string_view name,
                                          std::string_view body);
// The head of a 200 response with a chunked body (a watch).
std::string http1_stream_head(bool keep_alive);
// One chunk of a chunked body; "" makes the last chunk.
std::string http1_chunk(std::string_view data);

// The protocol to speak, from the ALPN list of a ClientHello (`offered`, in
// its wire format: names each after a length byte): h2 if offered and
// `offer_h2`, else http/1.1 if offered, else "". A view into `offered`.
std::string_view choose_alpn(std::string_view offered, bool offer_h2);

}  // namespace meshgate::testing::detail

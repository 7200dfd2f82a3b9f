// A stand-in Kubernetes API server for tests, on 127.0.0.1 port 0: TLS with
// ALPN h2 and http/1.1 (or http/1.1 only), speaking the wire format of the
// public Kubernetes API documentation ("API Concepts": efficient detection
// of changes, watch bookmarks, retrieving large results in chunks; and
// metav1.Status). The code under test cannot tell it from the real one for
// what it uses: list and watch of cluster-wide collections.
//
// - GET <collection>[?limit=N[&continue=T]]: a list, 200 with
//   {"kind":"<Kind>List","apiVersion":...,"metadata":{"resourceVersion":"R",
//   "continue":"T","remainingItemCount":n},"items":[...]}, items sorted by
//   namespace/name; a continue token older than the history (see
//   expire_history) answers 410 Expired.
// - GET <collection>?watch=1&resourceVersion=R[&allowWatchBookmarks=true]
//   [&timeoutSeconds=S]: 200, then one JSON line per event
//   {"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR","object":{...}}, first
//   every stored event after R, then live ones; ends cleanly after S
//   seconds. R older than the history: an ERROR event with a 410 Expired
//   Status, then the end of the response, as the real server does.
// - GET /api/v1/namespaces/<ns>/<plural>/<name> (or /apis/<group>/...): one
//   object of the collection /api/v1/<plural>, 200; 404 NotFound
//   `<plural> "<name>" not found` when it is not stored.
// - POST /api/v1/namespaces/<ns>/serviceaccounts/<name>/token with a
//   TokenRequest (HTTP/1.1): 201 and the TokenRequest with status.token
//   "token-for-<ns>-<name>-<audience>..." when the ServiceAccount is stored
//   in /api/v1/serviceaccounts; 404 when it is not; 422 Invalid for no
//   audiences or expirationSeconds under 600. Any other POST: 405.
// - A wrong or missing bearer token: 401 Unauthorized Status. A collection
//   set to fail (set_error): that Status (403 Forbidden, 404 NotFound) for
//   lists, watches and gets of its objects.
// Every public method is thread-safe; the server runs on its own thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace meshgate::testing {

struct KubeApiServerOptions {
  std::string cert_pem;  // the server's certificate chain and key (required)
  std::string key_pem;
  bool offer_h2 = true;              // ALPN offers h2 and http/1.1; false: http/1.1 only
  std::string token = "test-token";  // the bearer token accepted
  // When set, a client certificate signed by this CA is accepted in place
  // of the token.
  std::string client_ca_pem;
};

struct KubeApiRequest {
  std::string protocol;       // "h2" or "http/1.1"
  std::string method;         // "GET", "POST"
  std::string target;         // path and query, as sent
  std::string authorization;  // the Authorization header ("" if none)
  bool client_certificate = false;
  int status = 0;  // the status answered
};

// A kubeconfig for a stand-in at `server` ("https://127.0.0.1:PORT"): the
// CA inline (certificate-authority-data), tls-server-name
// kubernetes.default.svc, and the bearer token.
std::string kubeconfig_yaml(const std::string& server, const std::string& ca_pem,
                            const std::string& token);

class KubeApiServer {
 public:
  explicit KubeApiServer(KubeApiServerOptions options);
  ~KubeApiServer();
  KubeApiServer(const KubeApiServer&) = delete;
  KubeApiServer& operator=(const KubeApiServer&) = delete;

  uint16_t port() const;

  // Stores one object (JSON text with metadata.name and, for namespaced
  // kinds, metadata.namespace) in `collection` ("/api/v1/pods",
  // "/apis/discovery.k8s.io/v1/endpointslices",
  // "/apis/networking.istio.io/v1beta1/destinationrules", ...), giving it
  // the next resourceVersion; open watches get ADDED or MODIFIED. Returns
  // the new resourceVersion.
  std::string apply(const std::string& collection, const std::string& object_json);
  // Removes one object; open watches get DELETED with its last state.
  // Returns the new resourceVersion ("" if there was no such object).
  std::string remove(const std::string& collection, const std::string& ns, const std::string& name);

  // Lists and watches of `collection` answer this Status code (403, 404,
  // 500, ...) from now on; 0 serves it again.
  void set_error(const std::string& collection, int code);
  // Forgets the event history (as etcd compaction does): watches from any
  // resourceVersion before now get a 410 ERROR event; open watches get one
  // now and end; continue tokens issued before now answer 410.
  void expire_history();
  // Sends a BOOKMARK with the current resourceVersion on every open watch
  // that asked for bookmarks.
  void bookmark();
  // Closes every client connection abruptly (no end of stream, no GOAWAY),
  // as a crashed server or a cut network would.
  void drop_connections();
  // down: closes the listener and every connection; connecting is refused.
  // up: listens on the same port again.
  void set_down(bool down);
  // Accepts only `token` from now on (rotation).
  void set_token(const std::string& token);

  std::vector<KubeApiRequest> requests() const;
  size_t open_watches() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace meshgate::testing

// The stand-in Kubernetes API server's wire format: everything it says and
// parses that needs no socket (see kube_apiserver_wire.h).
#include "tests/support/kube_apiserver_wire.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <random>
#include <vector>

namespace meshgate::testing::detail {
namespace {

constexpr std::string_view kServiceAccount = "system:serviceaccount:istio-system:meshgate";

struct CodeNames {
  int code;
  std::string_view reason;  // metav1.Status reason
  std::string_view phrase;  // HTTP/1.1 reason phrase
};

constexpr std::array<CodeNames, 17> kCodeNames = {{
    {200, "", "OK"},
    {201, "", "Created"},
    {400, "BadRequest", "Bad Request"},
    {401, "Unauthorized", "Unauthorized"},
    {403, "Forbidden", "Forbidden"},
    {404, "NotFound", "Not Found"},
    {405, "MethodNotAllowed", "Method Not Allowed"},
    {409, "Conflict", "Conflict"},
    {410, "Expired", "Gone"},
    {413, "RequestEntityTooLarge", "Payload Too Large"},
    {422, "Invalid", "Unprocessable Entity"},
    {429, "TooManyRequests", "Too Many Requests"},
    {431, "BadRequest", "Request Header Fields Too Large"},
    {500, "InternalError", "Internal Server Error"},
    {503, "ServiceUnavailable", "Service Unavailable"},
    {504, "Timeout", "Gateway Timeout"},
    {0, "Unknown", "Unknown"},
}};

const CodeNames& names_of(int code) {
  for (const CodeNames& names : kCodeNames) {
    if (names.code == code) return names;
  }
  return kCodeNames.back();
}

std::string_view reason_of(int code) {
  return names_of(code).reason;
}

struct KnownKind {
  std::string_view plural;
  std::string_view kind;
  std::string_view group;
};

// The kinds the server serves without anything applied (as a cluster with
// Istio's CRDs installed would); any other collection exists once applied to.
constexpr std::array<KnownKind, 7> kKnownKinds = {{
    {"pods", "Pod", ""},
    {"services", "Service", ""},
    {"namespaces", "Namespace", ""},
    {"endpointslices", "EndpointSlice", "discovery.k8s.io"},
    {"serviceentries", "ServiceEntry", "networking.istio.io"},
    {"workloadentries", "WorkloadEntry", "networking.istio.io"},
    {"destinationrules", "DestinationRule", "networking.istio.io"},
}};

// A Status's details: the object's name when there is one, the group, the kind.
Json details_of(const Resource& resource, std::string_view name) {
  Json details = Json::object();
  if (!name.empty()) details["name"] = name;
  if (!resource.group.empty()) details["group"] = resource.group;
  details["kind"] = resource.plural;
  return details;
}

// What the real server says to a `verb` it does not allow: on a collection
// at the cluster scope, or on one named object in its namespace.
Json forbidden(const Resource& resource, std::string_view verb, std::string_view name = "",
               std::string_view ns = "") {
  std::string subject =
      resource.group.empty() ? resource.plural : resource.plural + "." + resource.group;
  if (!name.empty()) subject += " \"" + std::string(name) + "\"";
  const std::string scope =
      ns.empty() ? "at the cluster scope" : "in the namespace \"" + std::string(ns) + "\"";
  const std::string message = subject + " is forbidden: User \"" + std::string(kServiceAccount) +
                              "\" cannot " + std::string(verb) + " resource \"" + resource.plural +
                              "\" in API group \"" + resource.group + "\" " + scope;
  return failure(403, message, details_of(resource, name));
}

// "/a/b/c" as {"a", "b", "c"}; nullopt unless it starts with '/' and no
// segment is empty.
std::optional<std::vector<std::string_view>> segments(std::string_view path) {
  if (!path.starts_with('/')) return std::nullopt;
  path.remove_prefix(1);
  std::vector<std::string_view> parts;
  for (std::size_t slash; (slash = path.find('/')) != std::string_view::npos;) {
    parts.push_back(path.substr(0, slash));
    path.remove_prefix(slash + 1);
  }
  parts.push_back(path);
  if (std::ranges::any_of(parts, [](std::string_view p) { return p.empty(); })) return std::nullopt;
  return parts;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// As Go's url.ParseQuery: %XX escapes and '+' for a space; a broken escape
// stays as it is.
std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 &&
               hex_digit(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

constexpr std::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

bool parse_header_line(std::string_view line, Head& head) {
  const std::size_t colon = line.find(':');
  if (colon == 0 || colon == std::string_view::npos) return false;
  std::string name(line.substr(0, colon));
  for (char& c : name) {
    if (c == ' ' || c == '\t') return false;
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  head.headers.emplace(std::move(name), std::string(trim(line.substr(colon + 1))));
  return true;
}

// `text`: the head without its final empty line; nullopt when malformed.
std::optional<Head> parse_head(std::string_view text) {
  Head head;
  std::size_t eol = text.find("\r\n");
  const std::string_view line = text.substr(0, eol);
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp1 == sp2) return std::nullopt;
  head.method = line.substr(0, sp1);
  head.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  head.version = line.substr(sp2 + 1);
  if (head.target.empty() || head.target.find(' ') != std::string::npos) return std::nullopt;
  while (eol != std::string_view::npos) {
    text.remove_prefix(eol + 2);
    eol = text.find("\r\n");
    if (!parse_header_line(text.substr(0, eol), head)) return std::nullopt;
  }
  return head;
}

// The status line and the common headers, without the final empty line.
std::string http1_head(int status, bool keep_alive) {
  std::string head = "HTTP/1.1 " + std::to_string(status) + " " + std::string(phrase_of(status)) +
                     "\r\nAudit-Id: " + audit_id() +
                     "\r\nCache-Control: no-cache, private\r\nContent-Type: application/json\r\n";
  if (!keep_alive) head += "Connection: close\r\n";
  return head;
}

}  // namespace

std::string dump(const Json& json) {
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string_view phrase_of(int code) {
  return names_of(code).phrase;
}

Json failure(int code, std::string_view message, Json details) {
  Json status = {{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", Json::object()},
                 {"status", "Failure"}, {"message", message}, {"reason", reason_of(code)}};
  if (!details.is_null()) status["details"] = std::move(details);
  status["code"] = code;
  return status;
}

Json not_found() {
  return failure(404, "the server could not find the requested resource", Json::object());
}

Json expired_continue() {
  return failure(410,
                 "The provided continue parameter is too old to display a consistent list "
                 "result. You can start a new list without the continue parameter, or use the "
                 "continue value from the response to get a consistent list.");
}

std::optional<Resource> parse_resource(std::string_view path) {
  const auto parts = segments(path);
  if (!parts) return std::nullopt;
  const auto& p = *parts;
  if (p.size() == 3 && p[0] == "api") return Resource{"", std::string(p[1]), std::string(p[2])};
  if (p.size() == 4 && p[0] == "apis") {
    return Resource{std::string(p[1]), std::string(p[2]), std::string(p[3])};
  }
  return std::nullopt;
}

std::optional<ObjectTarget> object_target(std::string_view path) {
  const auto parts = segments(path);
  if (!parts) return std::nullopt;
  const auto& p = *parts;
  // api/v1/namespaces/NS/PLURAL/NAME or apis/GROUP/V/namespaces/NS/PLURAL/NAME
  const std::size_t base = p.size() == 6 && p[0] == "api"    ? 2
                           : p.size() == 7 && p[0] == "apis" ? 3
                                                             : 0;
  if (base == 0 || p[base] != "namespaces") return std::nullopt;
  Resource resource{base == 3 ? std::string(p[1]) : "", std::string(p[base - 1]),
                    std::string(p[base + 2])};
  std::string collection = "/" + std::string(p[0]) + "/" +
                           (base == 3 ? std::string(p[1]) + "/" : "") + resource.version + "/" +
                           resource.plural;
  return ObjectTarget{std::move(collection), std::move(resource), std::string(p[base + 1]),
                      std::string(p[base + 3])};
}

Json object_not_found(const ObjectTarget& target) {
  return failure(404, target.resource.plural + " \"" + target.name + "\" not found",
                 details_of(target.resource, target.name));
}

Json object_forbidden(const ObjectTarget& target) {
  return forbidden(target.resource, "get", target.name, target.ns);
}

bool is_known(const Resource& resource) {
  return std::ranges::any_of(kKnownKinds, [&](const KnownKind& k) {
    return k.plural == resource.plural && k.group == resource.group;
  });
}

std::string kind_of(std::string_view plural) {
  for (const KnownKind& known : kKnownKinds) {
    if (known.plural == plural) return std::string(known.kind);
  }
  std::string kind(plural);
  if (kind.ends_with("ies")) {
    kind.replace(kind.size() - 3, 3, "y");
  } else if (kind.ends_with("s")) {
    kind.pop_back();
  }
  if (!kind.empty() && kind[0] >= 'a' && kind[0] <= 'z') kind[0] = static_cast<char>(kind[0] - 32);
  return kind;
}

Json injected_error(int code, const Resource& resource, std::string_view verb) {
  switch (code) {
    case 403:
      return forbidden(resource, verb);
    case 404:
      return not_found();
    case 401:
      return failure(401, "Unauthorized");
    case 503:
      return failure(503, "the server is currently unable to handle the request");
    default:
      return failure(code, "Internal error occurred: injected by the test");
  }
}

std::optional<uint64_t> parse_uint(std::string_view text) {
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::pair<std::string, Query> parse_target(std::string_view target) {
  const std::size_t mark = target.find('?');
  std::pair<std::string, Query> out{std::string(target.substr(0, mark)), {}};
  if (mark == std::string_view::npos) return out;
  std::string_view rest = target.substr(mark + 1);
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    const std::size_t eq = pair.find('=');
    const std::string_view value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    out.second.emplace(percent_decode(pair.substr(0, eq)), percent_decode(value));
  }
  return out;
}

std::string lookup(const Query& query, const std::string& name) {
  const auto it = query.find(name);
  return it == query.end() ? "" : it->second;
}

bool is_true(std::string_view value) {
  return value == "1" || value == "true";
}

std::string base64url(std::string_view in) {
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  for (const unsigned char c : in) {
    bits = (bits << 8) | c;
    count += 8;
    while (count >= 6)
      out += kBase64Url[(bits >> (count -= 6)) & 63];
  }
  if (count > 0) out += kBase64Url[(bits << (6 - count)) & 63];
  return out;
}

std::optional<std::string> unbase64url(std::string_view in) {
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  for (const char c : in) {
    const std::size_t value = kBase64Url.find(c);
    if (value == std::string_view::npos) return std::nullopt;
    bits = (bits << 6) | static_cast<uint32_t>(value);
    count += 6;
    if (count >= 8) out += static_cast<char>((bits >> (count -= 8)) & 0xff);
  }
  return out;
}

std::string continue_token(const ContinuePoint& point) {
  return base64url(dump(Json{{"rv", point.rv}, {"start", point.start}}));
}

std::optional<ContinuePoint> parse_continue(std::string_view token) {
  const std::optional<std::string> raw = unbase64url(token);
  if (!raw) return std::nullopt;
  const Json json = Json::parse(*raw, nullptr, false);
  if (!json.is_object() || !json.contains("rv") || !json["rv"].is_number_unsigned() ||
      !json.contains("start") || !json["start"].is_string()) {
    return std::nullopt;
  }
  return ContinuePoint{json["rv"].get<uint64_t>(), json["start"].get<std::string>()};
}

std::string audit_id() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  const uint64_t a = random();
  const uint64_t b = random();
  std::array<char, 40> text{};
  std::snprintf(text.data(), text.size(), "%08x-%04x-%04x-%04x-%012llx",
                static_cast<unsigned>(a >> 32), static_cast<unsigned>((a >> 16) & 0xffff),
                static_cast<unsigned>(0x4000 | (a & 0x0fff)),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return text.data();
}

std::string event_line(std::string_view type, const Json& object) {
  return dump(Json{{"type", type}, {"object", object}}) + "\n";
}

Json with_kind(Json object, const std::string& collection) {
  const std::optional<Resource> resource = parse_resource(collection);
  if (!resource || !object.is_object()) return object;
  if (!object.contains("kind")) object["kind"] = kind_of(resource->plural);
  if (!object.contains("apiVersion")) object["apiVersion"] = resource->api_version();
  return object;
}

Framed frame_request(std::string_view input, std::size_t max_head, std::size_t max_body) {
  const auto reject = [](int status) {
    Framed out;
    out.error = status;
    return out;
  };
  const std::size_t end = input.find("\r\n\r\n");
  if (end == std::string_view::npos) return input.size() > max_head ? reject(431) : Framed{};
  if (end > max_head) return reject(431);
  std::optional<Head> head = parse_head(input.substr(0, end));
  if (!head || (head->version != "HTTP/1.1" && head->version != "HTTP/1.0")) return reject(400);
  if (!head->header("transfer-encoding").empty()) return reject(400);
  const std::string length_text = head->header("content-length");
  const std::optional<uint64_t> length = length_text.empty() ? 0 : parse_uint(length_text);
  if (!length || *length > max_body) return reject(413);
  const std::size_t size = end + 4 + static_cast<std::size_t>(*length);
  if (input.size() < size) return {};  // the body is still coming
  return {0, std::move(head), size, static_cast<std::size_t>(*length)};
}

std::string http1_response(int status, bool keep_alive, std::string_view body) {
  return http1_head(status, keep_alive) + "Content-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + std::string(body);
}

std::string http1_stream_head(bool keep_alive) {
  return http1_head(200, keep_alive) + "Transfer-Encoding: chunked\r\n\r\n";
}

std::string http1_chunk(std::string_view data) {
  std::array<char, 20> size{};
  std::snprintf(size.data(), size.size(), "%zx\r\n", data.size());
  return std::string(size.data()) + std::string(data) + "\r\n";
}

std::string_view choose_alpn(std::string_view offered, bool offer_h2) {
  for (const std::string_view wanted : {"h2", "http/1.1"}) {
    if (wanted == "h2" && !offer_h2) continue;
    for (std::size_t i = 0; i < offered.size();) {
      const std::size_t len = static_cast<unsigned char>(offered[i]);
      if (i + 1 + len > offered.size()) break;
      if (offered.substr(i + 1, len) == wanted) return offered.substr(i + 1, len);
      i += 1 + len;
    }
  }
  return {};
}

}  // namespace meshgate::testing::detail

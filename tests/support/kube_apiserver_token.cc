// The stand-in's TokenRequest subresource, as the API reference documents
// authentication.k8s.io/v1 TokenRequest: POST a TokenRequest with
// spec.audiences (required) and spec.expirationSeconds (at least 600,
// default 3600); 201 and the object back with status.token and
// status.expirationTimestamp.
#include <chrono>
#include <cstdint>
#include <ctime>
#include <string>

#include "tests/support/kube_apiserver_wire.h"

namespace meshgate::testing::detail {
namespace {

constexpr int64_t kMinExpirationSeconds = 600;
constexpr int64_t kDefaultExpirationSeconds = 3600;

std::string rfc3339_after(int64_t seconds) {
  const std::time_t at =
      std::chrono::system_clock::to_time_t(std::chrono::system_clock::now()) + seconds;
  std::tm utc{};
  gmtime_r(&at, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::pair<int, Json> invalid(std::string_view name, const std::string& message) {
  return {422,
          failure(422,
                  "TokenRequest.authentication.k8s.io \"" + std::string(name) +
                      "\" is invalid: " + message,
                  {{"name", name}, {"group", "authentication.k8s.io"}, {"kind", "TokenRequest"}})};
}

}  // namespace

std::optional<std::pair<std::string, std::string>> token_target(std::string_view path) {
  constexpr std::string_view kPrefix = "/api/v1/namespaces/";
  constexpr std::string_view kMiddle = "/serviceaccounts/";
  constexpr std::string_view kSuffix = "/token";
  if (!path.starts_with(kPrefix) || !path.ends_with(kSuffix)) return std::nullopt;
  path = path.substr(kPrefix.size(), path.size() - kPrefix.size() - kSuffix.size());
  const std::size_t middle = path.find(kMiddle);
  if (middle == std::string_view::npos || middle == 0) return std::nullopt;
  const std::string_view name = path.substr(middle + kMiddle.size());
  if (name.empty() || name.find('/') != std::string_view::npos) return std::nullopt;
  return std::pair{std::string(path.substr(0, middle)), std::string(name)};
}

std::pair<int, Json> answer_token_request(std::string_view ns, std::string_view name,
                                          std::string_view body) {
  Json request = Json::parse(body, nullptr, false);
  if (!request.is_object() || request.value("kind", "") != "TokenRequest") {
    return {400, failure(400, "the body is not a TokenRequest")};
  }
  const Json spec = request.value("spec", Json::object());
  const Json audiences = spec.value("audiences", Json::array());
  if (!audiences.is_array() || audiences.empty()) {
    return invalid(name, "spec.audiences: Required value");
  }
  for (const Json& audience : audiences) {
    if (!audience.is_string()) return {400, failure(400, "spec.audiences: strings expected")};
  }
  if (spec.contains("expirationSeconds") && !spec["expirationSeconds"].is_number_integer()) {
    return {400, failure(400, "spec.expirationSeconds: an integer expected")};
  }
  const int64_t seconds = spec.value("expirationSeconds", kDefaultExpirationSeconds);
  if (seconds < kMinExpirationSeconds) {
    return invalid(name, "spec.expirationSeconds: Invalid value: " + std::to_string(seconds) +
                             ": may not specify a duration less than 10 minutes");
  }
  std::string token = "token-for-" + std::string(ns) + "-" + std::string(name);
  for (const Json& audience : audiences)
    token += "-" + audience.get<std::string>();
  request["metadata"] = {{"name", name}, {"namespace", ns}};
  request["spec"]["expirationSeconds"] = seconds;
  request["status"] = {{"token", token}, {"expirationTimestamp", rfc3339_after(seconds)}};
  return {201, request};
}

}  // namespace meshgate::testing::detail

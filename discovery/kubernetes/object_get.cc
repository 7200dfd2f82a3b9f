#include "discovery/kubernetes/object_get.h"

#include <memory>
#include <nlohmann/json.hpp>
#include <utility>

#include "discovery/kubernetes/api_client.h"
#include "discovery/kubernetes/decode.h"

namespace meshgate::discovery::kube {
namespace {

using Json = nlohmann::json;

// What the exchange leaves behind; shared with the sink, which the client
// may still hold after get_object's loop has returned.
struct Answer {
  int status = 0;
  std::string body;
  bool closed = false;
  std::string error;
};

// The client's reason for ending a request, for the user; "" for none.
std::string describe_close(const std::string& error) {
  if (error.empty() || error.starts_with("cannot reach")) return error;
  if (error == "timed out") return "no answer from the API server within the timeout";
  return "the API server's answer ended early: " + error;
}

net::http::ResponseSink sink_for(const std::shared_ptr<Answer>& answer, asio::io_context& io,
                                 size_t max_bytes) {
  net::http::ResponseSink sink;
  sink.on_status = [answer](int status) { answer->status = status; };
  sink.on_data = [answer, &io, max_bytes](std::string_view data) {
    if (!answer->error.empty()) return;
    if (answer->body.size() + data.size() > max_bytes) {
      answer->error = "the answer is larger than " + std::to_string(max_bytes) + " bytes";
      answer->closed = true;
      io.stop();
      return;
    }
    answer->body.append(data);
  };
  sink.on_close = [answer, &io](const std::string& error) {
    answer->closed = true;
    if (answer->error.empty()) answer->error = describe_close(error);
    io.stop();
  };
  return sink;
}

}  // namespace

std::string config_map_path(std::string_view ns, std::string_view name) {
  return "/api/v1/namespaces/" + std::string(ns) + "/configmaps/" + std::string(name);
}

std::string deployment_path(std::string_view ns, std::string_view name) {
  return "/apis/apps/v1/namespaces/" + std::string(ns) + "/deployments/" + std::string(name);
}

ObjectResult object_result(int status, std::string body) {
  if (status == 200) return {status, std::move(body), ""};
  return {status, "", describe_refusal(status, body)};
}

ConfigMapData parse_config_map(std::string_view json) {
  const Json object = Json::parse(json, nullptr, false);
  if (!object.is_object()) return {{}, "not a JSON object"};
  if (object.contains("kind") && object["kind"] != "ConfigMap") {
    return {{}, "not a ConfigMap"};
  }
  ConfigMapData out;
  if (!object.contains("data") || object["data"].is_null()) return out;
  if (!object["data"].is_object()) return {{}, "data: not an object"};
  for (const auto& [key, value] : object["data"].items()) {
    if (!value.is_string()) return {{}, "data." + key + ": not a string"};
    out.data[key] = value.get<std::string>();
  }
  return out;
}

ObjectResult get_object(const ApiAccess& access, const std::string& path,
                        std::chrono::milliseconds timeout, size_t max_bytes) {
  asio::io_context io;
  std::string error;
  ApiClientOptions options;
  options.connect_timeout = timeout;
  std::unique_ptr<ApiClient> client = ApiClient::create(io, access, options, &error);
  if (!client) return {0, "", error};
  auto answer = std::make_shared<Answer>();
  client->get(path, timeout, sink_for(answer, io, max_bytes));
  // The client's own deadline ends the request; this bound is a backstop.
  if (!answer->closed) io.run_for(timeout + std::chrono::seconds(1));
  client->stop();
  client.reset();
  if (!answer->closed) return {0, "", "no answer from the API server within the timeout"};
  if (!answer->error.empty()) return {answer->status, "", answer->error};
  return object_result(answer->status, std::move(answer->body));
}

}  // namespace meshgate::discovery::kube

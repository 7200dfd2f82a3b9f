#include "tests/support/fake_istiod.h"

#include <utility>

#include "deploy/demo/pki.h"

namespace meshgate::testing {
namespace {

namespace sd = envoy::service::discovery::v3;
using Stream = grpc::ServerReaderWriter<sd::DiscoveryResponse, sd::DiscoveryRequest>;

std::string metadata(const grpc::ServerContext& context, const char* key) {
  const auto& headers = context.client_metadata();
  const auto found = headers.find(key);
  return found == headers.end() ? "" : std::string(found->second.data(), found->second.size());
}

}  // namespace

class FakeIstiod::Service final : public sd::AggregatedDiscoveryService::Service {
 public:
  explicit Service(std::string token) : token_(std::move(token)) {}

  grpc::Status StreamAggregatedResources(grpc::ServerContext* context, Stream* stream) override {
    const std::string authorization = metadata(*context, "authorization");
    {
      std::lock_guard lock(mutex_);
      authorizations_.push_back(authorization);
      cluster_ids_.push_back(metadata(*context, "clusterid"));
      if (!token_.empty() && authorization != "Bearer " + token_) {
        return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "authentication failure");
      }
      if (refuse_) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "server is not ready");
      ++streams_;
      stream_ = stream;
      context_ = context;
    }
    changed_.notify_all();
    sd::DiscoveryRequest request;
    while (stream->Read(&request)) {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
      changed_.notify_all();
    }
    std::lock_guard write_lock(write_mutex_);  // no push() is writing to this stream
    std::lock_guard lock(mutex_);
    stream_ = nullptr;
    context_ = nullptr;
    return grpc::Status::OK;
  }

  // One writer at a time (write_mutex_), outside mutex_; end_stream() and the
  // handler's return wait for a write in progress to finish.
  bool push(const sd::DiscoveryResponse& response, std::chrono::milliseconds timeout) {
    std::lock_guard write_lock(write_mutex_);
    Stream* stream = nullptr;
    {
      std::unique_lock lock(mutex_);
      if (!changed_.wait_for(lock, timeout, [&] { return stream_ != nullptr; })) return false;
      stream = stream_;
    }
    return stream->Write(response);
  }

  void refuse_streams(bool refuse) {
    std::lock_guard lock(mutex_);
    refuse_ = refuse;
  }

  std::optional<sd::DiscoveryRequest> request(size_t index, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, timeout, [&] { return requests_.size() > index; })) {
      return std::nullopt;
    }
    return requests_[index];
  }

  void end_stream() {
    std::lock_guard lock(mutex_);
    if (context_ != nullptr) context_->TryCancel();
  }

  size_t streams() const {
    std::lock_guard lock(mutex_);
    return streams_;
  }
  std::vector<std::string> authorizations() const {
    std::lock_guard lock(mutex_);
    return authorizations_;
  }
  std::vector<std::string> cluster_ids() const {
    std::lock_guard lock(mutex_);
    return cluster_ids_;
  }

 private:
  const std::string token_;
  std::mutex write_mutex_;  // taken before mutex_, never after
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool refuse_ = false;
  Stream* stream_ = nullptr;
  grpc::ServerContext* context_ = nullptr;
  size_t streams_ = 0;
  std::vector<sd::DiscoveryRequest> requests_;
  std::vector<std::string> authorizations_;
  std::vector<std::string> cluster_ids_;
};

FakeIstiod::FakeIstiod(std::string token) : service_(std::make_unique<Service>(std::move(token))) {
  const demo::CertifiedKey ca = demo::make_ca("fake istiod CA");
  const std::string names[] = {kServerName};
  const demo::CertifiedKey leaf = demo::make_leaf(ca, "istiod", names);
  root_pem_ = ca.cert_pem;
  grpc::SslServerCredentialsOptions tls;
  tls.pem_key_cert_pairs.push_back({leaf.key_pem, leaf.cert_pem});
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::SslServerCredentials(tls), &port_);
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
}

FakeIstiod::~FakeIstiod() {
  end_stream();
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
}

std::string FakeIstiod::address() const {
  return "127.0.0.1:" + std::to_string(port_);
}
const std::string& FakeIstiod::root_pem() const {
  return root_pem_;
}
bool FakeIstiod::push(const sd::DiscoveryResponse& response, std::chrono::milliseconds timeout) {
  return service_->push(response, timeout);
}
std::optional<sd::DiscoveryRequest> FakeIstiod::request(size_t index,
                                                        std::chrono::milliseconds timeout) {
  return service_->request(index, timeout);
}
void FakeIstiod::end_stream() {
  service_->end_stream();
}
void FakeIstiod::refuse_streams(bool refuse) {
  service_->refuse_streams(refuse);
}
size_t FakeIstiod::streams() const {
  return service_->streams();
}
std::vector<std::string> FakeIstiod::authorizations() const {
  return service_->authorizations();
}
std::vector<std::string> FakeIstiod::cluster_ids() const {
  return service_->cluster_ids();
}

}  // namespace meshgate::testing

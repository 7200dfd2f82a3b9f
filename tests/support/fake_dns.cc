#include "tests/support/fake_dns.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <optional>
#include <span>
#include <stdexcept>
#include <thread>

#include "base/asio.h"
#include "base/ip.h"
#include "dns-global/reader.h"
#include "dns-global/writer.h"

namespace meshgate::testing {

namespace asio = boost::asio;
using udp = asio::ip::udp;

struct FakeDns::Impl {
  asio::io_context io;
  udp::socket socket{io, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  const uint16_t port = socket.local_endpoint().port();  // read before the thread starts
  std::array<uint8_t, 4096> buffer{};
  udp::endpoint peer;
  std::thread thread;
  mutable std::mutex mutex;
  mutable std::condition_variable asked;
  std::map<std::string, Record> records;   // under mutex
  std::map<std::string, uint64_t> counts;  // under mutex
  Mode mode = Mode::kAnswer;               // under mutex

  void receive();
  std::optional<std::vector<uint8_t>> answer(std::span<const uint8_t> query);
};

namespace {

void add_records(dns::Message& reply, const dns::Question& question,
                 const FakeDns::Record& record) {
  for (const std::string& text : record.addresses) {
    const std::optional<base::IpAddress> ip = base::parse_ip(text);
    if (!ip) continue;
    dns::Record out{question.name, question.type, dns::kClassIn, record.ttl, {}};
    if (!ip->v6 && question.type == dns::rrtype::kA) {
      dns::AData data;
      std::copy_n(ip->bytes.begin(), 4, data.address.begin());
      out.data = data;
    } else if (ip->v6 && question.type == dns::rrtype::kAaaa) {
      out.data = dns::AaaaData{ip->bytes};
    } else {
      continue;
    }
    reply.answers.push_back(std::move(out));
  }
}

}  // namespace

std::optional<std::vector<uint8_t>> FakeDns::Impl::answer(std::span<const uint8_t> query) {
  dns::ReadResult read = dns::read_message(query);
  if (!read.ok() || read.message.questions.size() != 1) return std::nullopt;
  const dns::Question& question = read.message.questions.front();
  const std::string name = question.name.plain();
  dns::Message reply;
  reply.header = read.message.header;
  reply.header.qr = true;
  reply.header.aa = true;
  reply.header.ra = true;
  reply.questions = read.message.questions;
  {
    std::lock_guard lock(mutex);
    ++counts[name];
    asked.notify_all();
    if (mode == Mode::kSilent) return std::nullopt;
    if (mode == Mode::kServFail) {
      reply.header.rcode = dns::rcode::kServFail;
    } else if (const auto found = records.find(name); found != records.end()) {
      add_records(reply, question, found->second);
    } else {
      reply.header.rcode = dns::rcode::kNxDomain;
    }
  }
  return dns::write_message(reply, dns::kMinUdpPayload).bytes;
}

void FakeDns::Impl::receive() {
  socket.async_receive_from(
      asio::buffer(buffer), peer, [this](const boost::system::error_code& ec, std::size_t size) {
        if (ec == asio::error::operation_aborted) return;
        if (!ec) {
          if (auto reply = answer(std::span<const uint8_t>(buffer.data(), size))) {
            boost::system::error_code ignored;
            socket.send_to(asio::buffer(*reply), peer, 0, ignored);
          }
        }
        receive();
      });
}

FakeDns::FakeDns() : impl_(std::make_unique<Impl>()) {
  impl_->receive();
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

FakeDns::~FakeDns() {
  asio::post(impl_->io, [this] { impl_->socket.close(); });
  impl_->thread.join();
}

uint16_t FakeDns::port() const {
  return impl_->port;
}

std::string FakeDns::server() const {
  return "127.0.0.1:" + std::to_string(port());
}

void FakeDns::set(const std::string& name, std::vector<std::string> addresses, uint32_t ttl) {
  std::lock_guard lock(impl_->mutex);
  impl_->records[name] = Record{std::move(addresses), ttl};
}

void FakeDns::remove(const std::string& name) {
  std::lock_guard lock(impl_->mutex);
  impl_->records.erase(name);
}

void FakeDns::set_mode(Mode mode) {
  std::lock_guard lock(impl_->mutex);
  impl_->mode = mode;
}

uint64_t FakeDns::queries(const std::string& name) const {
  std::lock_guard lock(impl_->mutex);
  const auto found = impl_->counts.find(name);
  return found == impl_->counts.end() ? 0 : found->second;
}

bool FakeDns::wait_for_queries(const std::string& name, uint64_t count, int timeout_ms) const {
  std::unique_lock lock(impl_->mutex);
  return impl_->asked.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] {
    const auto found = impl_->counts.find(name);
    return found != impl_->counts.end() && found->second >= count;
  });
}

}  // namespace meshgate::testing

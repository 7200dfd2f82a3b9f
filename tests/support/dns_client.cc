#include "tests/support/dns_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dns-global/reader.h"
#include "dns-global/writer.h"
#include "tests/support/socket.h"

namespace meshgate::testing {
namespace {

sockaddr_in loopback(const std::string& address, uint16_t port) {
  sockaddr_in out{};
  out.sin_family = AF_INET;
  out.sin_port = htons(port);
  inet_pton(AF_INET, address.c_str(), &out.sin_addr);
  return out;
}

bool read_exact(int fd, uint8_t* data, std::size_t size) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::recv(fd, data + done, size - done, 0);
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

std::vector<uint8_t> dns_query(const std::string& name, uint16_t type, uint16_t udp_size) {
  dns::Message message;
  message.header.id = 0x1234;
  message.header.rd = true;
  message.questions.push_back({*dns::Name::parse(name), type, dns::kClassIn});
  if (udp_size > 0) message.edns = dns::Edns{udp_size, 0, false, {}};
  return dns::write_message(message, dns::kMaxMessageBytes).bytes;
}

std::optional<std::vector<uint8_t>> udp_exchange(uint16_t port, const std::vector<uint8_t>& query,
                                                 const std::string& source, int timeout_ms) {
  Socket socket(::socket(AF_INET, SOCK_DGRAM, 0));
  const sockaddr_in from = loopback(source, 0);
  const sockaddr_in to = loopback("127.0.0.1", port);
  if (::bind(socket.fd(), reinterpret_cast<const sockaddr*>(&from), sizeof from) != 0) return {};
  socket.set_timeout_ms(timeout_ms);
  if (::sendto(socket.fd(), query.data(), query.size(), 0, reinterpret_cast<const sockaddr*>(&to),
               sizeof to) < 0) {
    return std::nullopt;
  }
  std::vector<uint8_t> reply(65'536);
  const ssize_t n = ::recv(socket.fd(), reply.data(), reply.size(), 0);
  if (n < 0) return std::nullopt;
  reply.resize(static_cast<std::size_t>(n));
  return reply;
}

std::vector<std::vector<uint8_t>> tcp_exchange(uint16_t port,
                                               const std::vector<std::vector<uint8_t>>& queries) {
  Socket socket = Socket::connect("127.0.0.1", port);
  std::vector<uint8_t> out;
  for (const auto& query : queries) {
    out.push_back(static_cast<uint8_t>(query.size() >> 8));
    out.push_back(static_cast<uint8_t>(query.size() & 0xff));
    out.insert(out.end(), query.begin(), query.end());
  }
  std::vector<std::vector<uint8_t>> replies;
  if (!socket.send_all(out)) return replies;
  for (std::size_t i = 0; i < queries.size(); ++i) {
    uint8_t prefix[2];
    if (!read_exact(socket.fd(), prefix, 2)) break;
    std::vector<uint8_t> reply(static_cast<std::size_t>(prefix[0]) << 8 | prefix[1]);
    if (!read_exact(socket.fd(), reply.data(), reply.size())) break;
    replies.push_back(std::move(reply));
  }
  return replies;
}

std::optional<std::vector<uint8_t>> tcp_exchange(Socket& socket,
                                                 const std::vector<uint8_t>& query) {
  std::vector<uint8_t> out{static_cast<uint8_t>(query.size() >> 8),
                           static_cast<uint8_t>(query.size() & 0xff)};
  out.insert(out.end(), query.begin(), query.end());
  if (!socket.send_all(out)) return std::nullopt;
  uint8_t prefix[2];
  if (!read_exact(socket.fd(), prefix, 2)) return std::nullopt;
  std::vector<uint8_t> reply(static_cast<std::size_t>(prefix[0]) << 8 | prefix[1]);
  if (!read_exact(socket.fd(), reply.data(), reply.size())) return std::nullopt;
  return reply;
}

dns::Message parse_reply(const std::vector<uint8_t>& reply) {
  dns::ReadResult result = dns::read_message(reply);
  EXPECT_TRUE(result.ok()) << dns::to_string(result.error);
  return result.message;
}

}  // namespace meshgate::testing

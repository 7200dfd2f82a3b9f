// A DNS client for tests: one query over UDP (from a chosen loopback source
// address) or several over one TCP connection, every wait bounded.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dns-global/message.h"

namespace meshgate::testing {

// The query's bytes: id 0x1234, RD set, one question, OPT when udp_size > 0.
std::vector<uint8_t> dns_query(const std::string& name, uint16_t type, uint16_t udp_size = 0);

// Sends over UDP from `source` (port 0) to 127.0.0.1:`port`; the reply, or
// nothing after `timeout_ms`.
std::optional<std::vector<uint8_t>> udp_exchange(uint16_t port, const std::vector<uint8_t>& query,
                                                 const std::string& source = "127.0.0.1",
                                                 int timeout_ms = 3000);

// Sends every query, length-prefixed, on one TCP connection to
// 127.0.0.1:`port`, and reads as many replies; fewer if the server closed.
std::vector<std::vector<uint8_t>> tcp_exchange(uint16_t port,
                                               const std::vector<std::vector<uint8_t>>& queries);

class Socket;

// One query, length-prefixed, on an open TCP connection; its reply, or
// nothing if the server closed or did not answer in time.
std::optional<std::vector<uint8_t>> tcp_exchange(Socket& socket, const std::vector<uint8_t>& query);

// The reply read back; fails the test if it does not parse.
dns::Message parse_reply(const std::vector<uint8_t>& reply);

}  // namespace meshgate::testing

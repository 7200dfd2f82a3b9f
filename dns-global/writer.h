// Writes a DNS message, compressing owner names and the names inside NS,
// CNAME, PTR and SOA data (RFC 1035 §4.1.4). Section counts come from the
// vectors; OPT, when present, goes after the additional records with the
// upper 8 bits of header.rcode, and TSIG, when present, after it, last.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "dns-global/message.h"

namespace meshgate::dns {

struct WriteResult {
  std::vector<uint8_t> bytes;
  bool truncated = false;  // the full message did not fit `max_size`
};

// If the whole message fits in `max_size` bytes it is written as is.
// Otherwise the reply is the header with TC set, the question section, OPT
// and TSIG, with no records (RFC 2181 §9, RFC 6891 §7): the client retries
// over TCP; if even that does not fit, the header and OPT without options.
// `max_size` below 512 is taken as 512; above 65535 as 65535.
WriteResult write_message(const Message& message, std::size_t max_size);

}  // namespace meshgate::dns

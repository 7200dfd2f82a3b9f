// Parses the body of a ClientHello handshake message (RFC 8446 4.1.2,
// RFC 5246 7.4.1.2): everything after the 4-byte handshake header.
#pragma once

#include <cstdint>
#include <span>

#include "sni/client_hello.h"

namespace meshgate::sni {

inline constexpr uint16_t kExtServerName = 0;          // RFC 6066 3
inline constexpr uint16_t kExtAlpn = 16;               // RFC 7301
inline constexpr uint16_t kExtSupportedVersions = 43;  // RFC 8446 4.2.1

// Returns kDone and fills legacy_version, server_name, alpn and
// supported_versions of *out, or kMalformed with a detail. `out` should be
// default-constructed; on kMalformed its contents are unspecified.
ParseResult parse_client_hello_body(std::span<const uint8_t> body, ClientHello* out);

}  // namespace meshgate::sni

#include "sni/client_hello_body.h"

#include <algorithm>
#include <vector>

#include "sni/byte_reader.h"

namespace meshgate::sni {
namespace {

constexpr std::size_t kRandomSize = 32;
constexpr std::size_t kMaxSessionIdSize = 32;
constexpr uint8_t kHostNameType = 0;
// RFC 6066 3: a HostName is a DNS host name, at most 255 bytes (RFC 1035
// 2.3.4); a longer one names nothing and would only be carried around.
constexpr std::size_t kMaxServerNameSize = 255;

constexpr ParseResult kOk{ParseStatus::kDone, ""};

ParseResult malformed(const char* detail) {
  return {ParseStatus::kMalformed, detail};
}

bool ok(const ParseResult& result) {
  return result.status == ParseStatus::kDone;
}

// Reads extension_data that must be exactly one vector with a 2-byte length.
bool read_whole_vector16(std::span<const uint8_t> data, std::span<const uint8_t>* out) {
  ByteReader reader(data);
  return reader.read_vector16(out) && reader.empty();
}

ParseResult parse_server_name(std::span<const uint8_t> data, ClientHello* out) {
  std::span<const uint8_t> list;
  if (!read_whole_vector16(data, &list)) return malformed("bad server_name extension length");
  if (list.empty()) return malformed("empty server_name list");
  ByteReader entries(list);
  while (!entries.empty()) {
    uint8_t name_type = 0;
    std::span<const uint8_t> name;
    if (!entries.read_u8(&name_type) || !entries.read_vector16(&name)) {
      return malformed("truncated server_name entry");
    }
    if (name.empty()) return malformed("empty server name");
    if (name_type != kHostNameType) continue;  // unknown name types are skipped
    if (out->has_server_name) return malformed("two host_name entries");
    if (name.size() > kMaxServerNameSize) return malformed("server name over 255 bytes");
    if (std::find(name.begin(), name.end(), 0) != name.end()) {
      return malformed("NUL byte in server name");
    }
    out->has_server_name = true;
    out->server_name.assign(name.begin(), name.end());
  }
  return kOk;
}

ParseResult parse_alpn(std::span<const uint8_t> data, ClientHello* out) {
  std::span<const uint8_t> list;
  if (!read_whole_vector16(data, &list)) return malformed("bad ALPN extension length");
  if (list.size() < 2) return malformed("ALPN protocol list under 2 bytes");
  ByteReader names(list);
  while (!names.empty()) {
    std::span<const uint8_t> name;
    if (!names.read_vector8(&name)) return malformed("truncated ALPN protocol");
    if (name.empty()) return malformed("empty ALPN protocol");
    out->alpn.emplace_back(name.begin(), name.end());
  }
  return kOk;
}

ParseResult parse_supported_versions(std::span<const uint8_t> data, ClientHello* out) {
  ByteReader reader(data);
  std::span<const uint8_t> versions;
  if (!reader.read_vector8(&versions) || !reader.empty()) {
    return malformed("bad supported_versions extension length");
  }
  // A 1-byte length caps the list at 255; even and non-empty means 2..254.
  if (versions.size() < 2 || versions.size() % 2 != 0) {
    return malformed("bad supported_versions list length");
  }
  for (std::size_t i = 0; i < versions.size(); i += 2) {
    out->supported_versions.push_back(static_cast<uint16_t>((versions[i] << 8) | versions[i + 1]));
  }
  return kOk;
}

ParseResult parse_extension(uint16_t type, std::span<const uint8_t> data, ClientHello* out) {
  switch (type) {
    case kExtServerName:
      return parse_server_name(data, out);
    case kExtAlpn:
      return parse_alpn(data, out);
    case kExtSupportedVersions:
      return parse_supported_versions(data, out);
    default:
      return kOk;  // skipped by length
  }
}

struct Extension {
  uint16_t type = 0;
  std::span<const uint8_t> data;
};

// Frames every extension and rejects duplicates before any is parsed, so a
// repeated extension is reported as such whatever its content.
ParseResult read_extensions(std::span<const uint8_t> block, std::vector<Extension>* out) {
  ByteReader reader(block);
  while (!reader.empty()) {
    Extension extension;
    if (!reader.read_u16(&extension.type) || !reader.read_vector16(&extension.data)) {
      return malformed("truncated extension");
    }
    out->push_back(extension);
  }
  // Sorting keeps this O(n log n) against a hello packed with empty extensions.
  std::vector<uint16_t> types;
  types.reserve(out->size());
  for (const Extension& extension : *out)
    types.push_back(extension.type);
  std::sort(types.begin(), types.end());
  if (std::adjacent_find(types.begin(), types.end()) != types.end()) {
    return malformed("duplicate extension");
  }
  return kOk;
}

ParseResult parse_extensions(ByteReader* reader, ClientHello* out) {
  std::span<const uint8_t> block;
  if (!reader->read_vector16(&block)) return malformed("truncated extensions");
  if (!reader->empty()) return malformed("bytes after extensions");
  std::vector<Extension> extensions;
  if (ParseResult framing = read_extensions(block, &extensions); !ok(framing)) return framing;
  for (const Extension& extension : extensions) {
    ParseResult result = parse_extension(extension.type, extension.data, out);
    if (!ok(result)) return result;
  }
  return kOk;
}

}  // namespace

ParseResult parse_client_hello_body(std::span<const uint8_t> body, ClientHello* out) {
  ByteReader reader(body);
  uint16_t legacy_version = 0;
  std::span<const uint8_t> session_id;
  std::span<const uint8_t> cipher_suites;
  std::span<const uint8_t> compression_methods;
  if (!reader.read_u16(&legacy_version) || !reader.skip(kRandomSize)) {
    return malformed("truncated ClientHello random");
  }
  if (!reader.read_vector8(&session_id)) return malformed("truncated session id");
  if (session_id.size() > kMaxSessionIdSize) return malformed("session id over 32 bytes");
  if (!reader.read_vector16(&cipher_suites)) return malformed("truncated cipher suites");
  if (cipher_suites.size() < 2 || cipher_suites.size() % 2 != 0) {
    return malformed("bad cipher suites length");
  }
  if (!reader.read_vector8(&compression_methods)) return malformed("truncated compression methods");
  if (compression_methods.empty()) return malformed("no compression methods");
  out->legacy_version = legacy_version;
  if (reader.empty()) return kOk;  // extensions are optional before TLS 1.3
  return parse_extensions(&reader, out);
}

}  // namespace meshgate::sni

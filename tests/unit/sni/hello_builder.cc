#include "tests/unit/sni/hello_builder.h"

#include <algorithm>
#include <cstdio>

#include <gtest/gtest.h>

namespace meshgate::sni::test {
namespace {

Bytes length_prefixed(const Bytes& content, int prefix_bytes) {
  Bytes out;
  for (int i = prefix_bytes - 1; i >= 0; --i) {
    out.push_back(static_cast<uint8_t>(content.size() >> (8 * i)));
  }
  out.insert(out.end(), content.begin(), content.end());
  return out;
}

std::size_t load_u16(const Bytes& bytes, std::size_t at) {
  return (std::size_t{bytes[at]} << 8) | bytes[at + 1];
}

std::string hex16(uint16_t value) {
  char text[8];
  std::snprintf(text, sizeof(text), "%04x", value);
  return text;
}

}  // namespace

Bytes to_bytes(std::string_view text) {
  return Bytes(text.begin(), text.end());
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& part : parts)
    out.insert(out.end(), part.begin(), part.end());
  return out;
}

Bytes u16(uint16_t value) {
  return {static_cast<uint8_t>(value >> 8), static_cast<uint8_t>(value)};
}

Bytes vec8(const Bytes& content) {
  return length_prefixed(content, 1);
}
Bytes vec16(const Bytes& content) {
  return length_prefixed(content, 2);
}
Bytes vec24(const Bytes& content) {
  return length_prefixed(content, 3);
}

Bytes build_body(const HelloSpec& spec) {
  Bytes body = concat({u16(spec.legacy_version), Bytes(32, 0xab), vec8(spec.session_id),
                       vec16(spec.cipher_suites), vec8(spec.compression_methods)});
  if (!spec.with_extensions) return body;
  Bytes extensions;
  for (const auto& [type, data] : spec.extensions) {
    extensions = concat({extensions, u16(type), vec16(data)});
  }
  return concat({body, vec16(extensions)});
}

Bytes server_name_data(std::string_view host) {
  return vec16(concat({{0x00}, vec16(to_bytes(host))}));
}

Bytes alpn_data(const std::vector<std::string>& protocols) {
  Bytes list;
  for (const std::string& protocol : protocols)
    list = concat({list, vec8(to_bytes(protocol))});
  return vec16(list);
}

Bytes supported_versions_data(const std::vector<uint16_t>& versions) {
  Bytes list;
  for (uint16_t version : versions)
    list = concat({list, u16(version)});
  return vec8(list);
}

Bytes handshake(const Bytes& body, uint8_t type) {
  return concat({{type}, vec24(body)});
}

Bytes record(const Bytes& fragment, uint16_t version, uint8_t type) {
  return concat({{type}, u16(version), u16(static_cast<uint16_t>(fragment.size())), fragment});
}

Bytes reframe(const Bytes& payload, std::size_t fragment_size, uint16_t version) {
  Bytes out;
  for (std::size_t pos = 0; pos < payload.size(); pos += fragment_size) {
    const std::size_t end = std::min(payload.size(), pos + fragment_size);
    const Bytes fragment(payload.begin() + static_cast<std::ptrdiff_t>(pos),
                         payload.begin() + static_cast<std::ptrdiff_t>(end));
    const Bytes one = record(fragment, version);
    out.insert(out.end(), one.begin(), one.end());
  }
  return out;
}

Bytes hello_record(const HelloSpec& spec) {
  return record(handshake(build_body(spec)));
}

Bytes handshake_payload(const Bytes& records) {
  Bytes payload;
  std::size_t message_size = SIZE_MAX;
  for (std::size_t pos = 0; pos + 5 <= records.size() && records[pos] == 22;) {
    const std::size_t end = std::min(records.size(), pos + 5 + load_u16(records, pos + 3));
    payload.insert(payload.end(), records.begin() + static_cast<std::ptrdiff_t>(pos + 5),
                   records.begin() + static_cast<std::ptrdiff_t>(end));
    if (message_size == SIZE_MAX && payload.size() >= 4) {
      message_size = 4 + ((std::size_t{payload[1]} << 16) | load_u16(payload, 2));
    }
    if (payload.size() >= message_size) break;
    pos = end;
  }
  payload.resize(std::min(payload.size(), message_size));
  return payload;
}

ParseResult parse_all_ways(const Bytes& bytes, std::size_t max_bytes, ClientHello* out) {
  const ParseResult stateless = parse_client_hello(bytes, max_bytes, out);
  ClientHelloParser whole(max_bytes);
  const ParseResult fed = whole.feed(bytes);
  ClientHelloParser bytewise(max_bytes);
  ParseResult last;
  for (std::size_t i = 0; i < bytes.size() && last.status == ParseStatus::kNeedMore; ++i) {
    last = bytewise.feed({&bytes[i], 1});
  }
  for (const auto& [other, how] : {std::pair{fed, "one feed"}, std::pair{last, "bytewise"}}) {
    EXPECT_EQ(to_string(other.status), std::string(to_string(stateless.status))) << how;
    EXPECT_STREQ(other.detail, stateless.detail) << how;
  }
  if (stateless.status == ParseStatus::kDone) {
    EXPECT_EQ(describe(whole.hello()), describe(*out));
    EXPECT_EQ(describe(bytewise.hello()), describe(*out));
  }
  return stateless;
}

bool expect_done_at_every_split(const Bytes& hello, const std::string& expected) {
  for (std::size_t split = 1; split < hello.size(); ++split) {
    ClientHelloParser parser;
    const ParseResult first = parser.feed({hello.data(), split});
    const ParseResult second = parser.feed({hello.data() + split, hello.size() - split});
    const Bytes buffered(parser.buffered().begin(), parser.buffered().end());
    const bool ok = first.status == ParseStatus::kNeedMore && second.status == ParseStatus::kDone &&
                    describe(parser.hello()) == expected && buffered == hello;
    EXPECT_TRUE(ok) << "split at " << split << ": " << to_string(first.status) << " then "
                    << to_string(second.status) << " (" << second.detail << ")";
    if (!ok) return false;
  }
  return true;
}

std::string describe(const ClientHello& hello) {
  std::string text =
      "record=" + hex16(hello.record_version) + " legacy=" + hex16(hello.legacy_version) + " sni=";
  text += hello.has_server_name ? "'" + hello.server_name + "'" : "none";
  text += " alpn=[";
  for (const std::string& protocol : hello.alpn)
    text += protocol + ",";
  text += "] versions=[";
  for (uint16_t version : hello.supported_versions)
    text += hex16(version) + ",";
  return text + "]";
}

}  // namespace meshgate::sni::test

// A DNS message as plain data (RFC 1035 §4, RFC 6891 for EDNS, RFC 8945 for
// TSIG). The reader
// (reader.h) builds it from untrusted bytes; the writer (writer.h) turns it
// back into bytes. Neither does I/O.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "dns-global/name.h"

namespace meshgate::dns {

namespace rrtype {
inline constexpr uint16_t kA = 1;
inline constexpr uint16_t kNs = 2;
inline constexpr uint16_t kCname = 5;
inline constexpr uint16_t kSoa = 6;
inline constexpr uint16_t kPtr = 12;
inline constexpr uint16_t kMx = 15;
inline constexpr uint16_t kTxt = 16;
inline constexpr uint16_t kAaaa = 28;
inline constexpr uint16_t kSrv = 33;
inline constexpr uint16_t kOpt = 41;
inline constexpr uint16_t kTsig = 250;
inline constexpr uint16_t kIxfr = 251;
inline constexpr uint16_t kAxfr = 252;
inline constexpr uint16_t kAny = 255;
}  // namespace rrtype

inline constexpr uint16_t kClassIn = 1;
inline constexpr uint16_t kClassAny = 255;
inline constexpr std::size_t kHeaderBytes = 12;
inline constexpr std::size_t kMinUdpPayload = 512;  // without EDNS (RFC 1035 §4.2.1)
inline constexpr std::size_t kMaxMessageBytes = 65'535;

namespace opcode {
inline constexpr uint8_t kQuery = 0;
inline constexpr uint8_t kNotify = 4;
inline constexpr uint8_t kUpdate = 5;
}  // namespace opcode

// 12-bit with EDNS: the low 4 bits travel in the header, the rest in OPT.
namespace rcode {
inline constexpr uint16_t kNoError = 0;
inline constexpr uint16_t kFormErr = 1;
inline constexpr uint16_t kServFail = 2;
inline constexpr uint16_t kNxDomain = 3;
inline constexpr uint16_t kNotImp = 4;
inline constexpr uint16_t kRefused = 5;
inline constexpr uint16_t kNotAuth = 9;   // RFC 8945 §5.2: a TSIG we cannot verify
inline constexpr uint16_t kBadVers = 16;  // needs OPT (RFC 6891 §6.1.3)
inline constexpr uint16_t kBadKey = 17;   // only in a TSIG's error field (RFC 8945 §5.2.1)
}  // namespace rcode

struct Header {
  uint16_t id = 0;
  bool qr = false;  // a response
  uint8_t opcode = opcode::kQuery;
  bool aa = false;  // authoritative answer
  bool tc = false;  // truncated
  bool rd = false;  // recursion desired
  bool ra = false;  // recursion available
  bool ad = false;
  bool cd = false;
  uint16_t rcode = rcode::kNoError;  // full 12 bits; see above
  bool operator==(const Header&) const = default;
};

struct Question {
  Name name;
  uint16_t type = rrtype::kA;
  uint16_t klass = kClassIn;
  bool operator==(const Question&) const = default;
};

struct AData {
  std::array<uint8_t, 4> address{};
  bool operator==(const AData&) const = default;
};
struct AaaaData {
  std::array<uint8_t, 16> address{};
  bool operator==(const AaaaData&) const = default;
};
// NS, CNAME and PTR: one name, compressed on write (RFC 3597 §4).
struct NameData {
  Name name;
  bool operator==(const NameData&) const = default;
};
struct SoaData {
  Name mname;  // primary name server
  Name rname;  // responsible mailbox, '@' as the first dot
  uint32_t serial = 0;
  uint32_t refresh = 0;
  uint32_t retry = 0;
  uint32_t expire = 0;
  uint32_t minimum = 0;  // negative-caching TTL (RFC 2308)
  bool operator==(const SoaData&) const = default;
};
// Any other type, kept as the bytes of its RDATA.
struct RawData {
  std::string bytes;
  bool operator==(const RawData&) const = default;
};

using Rdata = std::variant<AData, AaaaData, NameData, SoaData, RawData>;

struct Record {
  Name name;
  uint16_t type = rrtype::kA;
  uint16_t klass = kClassIn;
  uint32_t ttl = 0;
  Rdata data;
  bool operator==(const Record&) const = default;
};

// The OPT pseudo-record, kept apart from the additional section.
struct Edns {
  uint16_t udp_size = kMinUdpPayload;  // the sender's largest UDP payload
  uint8_t version = 0;
  bool dnssec_ok = false;
  std::string options;  // raw option TLVs, each checked to fit, passed through unread
  bool operator==(const Edns&) const = default;
};

// The TSIG pseudo-record (RFC 8945 §4.2), kept apart like OPT: it must be the
// last record of the message, after OPT, so the writer puts it there. Its
// class is ANY and its TTL 0 on the wire. This server holds no keys: it
// reads a query's TSIG only to answer it with BADKEY.
struct Tsig {
  Name key;                  // the owner name: which key signed
  Name algorithm;            // written uncompressed (RFC 8945 §4.2)
  uint64_t time_signed = 0;  // 48 bits, seconds since 1970
  uint16_t fudge = 0;        // seconds of clock skew allowed
  std::string mac;
  uint16_t original_id = 0;
  uint16_t error = 0;  // an extended rcode: BADKEY, BADSIG, BADTIME...
  std::string other;
  bool operator==(const Tsig&) const = default;
};

struct Message {
  Header header;
  std::vector<Question> questions;
  std::vector<Record> answers;
  std::vector<Record> authority;
  std::vector<Record> additional;  // without OPT and TSIG
  std::optional<Edns> edns;
  std::optional<Tsig> tsig;
  bool operator==(const Message&) const = default;
};

}  // namespace meshgate::dns

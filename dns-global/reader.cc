// The DNS message reader: RFC 1035 §4 wire format, RFC 6891 OPT, RFC 8945
// TSIG.
#include "dns-global/reader.h"

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace meshgate::dns {

namespace {

constexpr std::size_t kMinQuestionBytes = 5;  // root name, type, class
constexpr std::size_t kMinRecordBytes = 11;   // root name, type, class, TTL, rdlength
constexpr std::size_t kRecordFixedBytes = 10;
constexpr std::size_t kSoaNumbersBytes = 20;
constexpr std::size_t kOptionHeaderBytes = 4;  // code, length
// After a TSIG's algorithm: time signed (48 bits), fudge, MAC size.
constexpr std::size_t kTsigFixedBytes = 10;
// After its MAC: original id, error, other length.
constexpr std::size_t kTsigTailBytes = 6;
// A name has at most 127 labels, and a sane writer puts a label before every
// pointer but the first: more jumps than that is a chain built to waste time.
constexpr std::size_t kMaxPointerJumps = 128;
constexpr uint8_t kLabelTypeMask = 0xC0;
constexpr uint8_t kPointerType = 0xC0;
constexpr uint8_t kPointerHighMask = 0x3F;

// A position in the packet; every read is checked by the caller first.
struct Cursor {
  std::span<const uint8_t> packet;
  std::size_t at = 0;

  std::size_t left() const { return packet.size() - at; }
  uint8_t u8() { return packet[at++]; }
  uint16_t u16() {
    const auto high = static_cast<uint16_t>(u8());
    return static_cast<uint16_t>(high << 8 | u8());
  }
  uint32_t u32() {
    const uint32_t high = u16();
    return high << 16 | u16();
  }
  std::string bytes(std::size_t count) {
    std::string out(reinterpret_cast<const char*>(packet.data() + at), count);
    at += count;
    return out;
  }
};

// Where a name is being read: `pos` walks the labels, jumping at pointers;
// `bound` is the end of the bytes it may read in place (the RDATA for a name
// in RDATA, until the first jump); `limit` is where a pointer must land
// before: the name's own start, then each jump's target.
struct NameWalk {
  std::size_t pos;
  std::size_t bound;
  std::size_t limit;
  std::size_t jumps = 0;
  std::size_t resume = 0;  // where the cursor goes after the name, once known
  std::string wire = {};
};

ReadError follow_pointer(std::span<const uint8_t> packet, NameWalk& walk) {
  if (walk.pos + 1 >= walk.bound) return ReadError::kTruncated;
  const std::size_t target =
      static_cast<std::size_t>(packet[walk.pos] & kPointerHighMask) << 8 | packet[walk.pos + 1];
  // No name starts inside the header: a pointer there would read header
  // bytes as labels, and an answer echoing that name would outgrow the query.
  if (target < kHeaderBytes || target >= walk.limit || ++walk.jumps > kMaxPointerJumps) {
    return ReadError::kBadPointer;
  }
  if (walk.jumps == 1) walk.resume = walk.pos + 2;
  walk.limit = target;
  walk.pos = target;
  walk.bound = packet.size();
  return ReadError::kNone;
}

ReadError take_label(std::span<const uint8_t> packet, NameWalk& walk) {
  const std::size_t length = packet[walk.pos];
  if (walk.pos + 1 + length > walk.bound) return ReadError::kTruncated;
  // This label, and at least the root's zero byte after it.
  if (walk.wire.size() + 1 + length + 1 > kMaxNameBytes) return ReadError::kNameTooLong;
  const auto* first = reinterpret_cast<const char*>(packet.data() + walk.pos);
  walk.wire.append(first, 1 + length);
  walk.pos += 1 + length;
  return ReadError::kNone;
}

// Reads the (possibly compressed) name at the cursor; read in place, it must
// end by `end`.
ReadError read_name(Cursor& cursor, std::size_t end, Name& out) {
  NameWalk walk{.pos = cursor.at, .bound = end, .limit = cursor.at};
  while (true) {
    if (walk.pos >= walk.bound) return ReadError::kTruncated;
    const uint8_t first = cursor.packet[walk.pos];
    ReadError error = ReadError::kNone;
    if ((first & kLabelTypeMask) == kPointerType) {
      error = follow_pointer(cursor.packet, walk);
    } else if ((first & kLabelTypeMask) != 0) {
      error = ReadError::kBadLabel;
    } else if (first == 0) {
      walk.wire.push_back('\0');
      cursor.at = walk.jumps == 0 ? walk.pos + 1 : walk.resume;
      auto name = Name::from_wire(std::move(walk.wire));
      if (!name) return ReadError::kBadLabel;  // cannot happen: every label was checked
      out = std::move(*name);
      return ReadError::kNone;
    } else {
      error = take_label(cursor.packet, walk);
    }
    if (error != ReadError::kNone) return error;
  }
}

Header decode_header(std::span<const uint8_t> packet) {
  Header header;
  header.id = static_cast<uint16_t>(packet[0] << 8 | packet[1]);
  const uint8_t high = packet[2];
  const uint8_t low = packet[3];
  header.qr = (high & 0x80) != 0;
  header.opcode = static_cast<uint8_t>(high >> 3 & 0x0F);
  header.aa = (high & 0x04) != 0;
  header.tc = (high & 0x02) != 0;
  header.rd = (high & 0x01) != 0;
  header.ra = (low & 0x80) != 0;
  header.ad = (low & 0x20) != 0;
  header.cd = (low & 0x10) != 0;
  header.rcode = low & 0x0F;
  return header;
}

ReadError read_questions(Cursor& cursor, uint16_t count, std::vector<Question>& out) {
  if (std::size_t{count} * kMinQuestionBytes > cursor.left()) return ReadError::kTruncated;
  out.reserve(count);
  for (uint16_t i = 0; i < count; ++i) {
    Question question;
    const ReadError error = read_name(cursor, cursor.packet.size(), question.name);
    if (error != ReadError::kNone) return error;
    if (cursor.left() < 4) return ReadError::kTruncated;
    question.type = cursor.u16();
    question.klass = cursor.u16();
    out.push_back(std::move(question));
  }
  return ReadError::kNone;
}

// A name that must fill the RDATA up to `end` exactly, or be followed by
// more fields. A name running past the RDATA is bad RDATA, not truncation.
ReadError read_rdata_name(Cursor& cursor, std::size_t end, Name& out) {
  const ReadError error = read_name(cursor, end, out);
  return error == ReadError::kTruncated ? ReadError::kBadRdata : error;
}

ReadError read_soa(Cursor& cursor, std::size_t end, Rdata& out) {
  SoaData soa;
  ReadError error = read_rdata_name(cursor, end, soa.mname);
  if (error == ReadError::kNone) error = read_rdata_name(cursor, end, soa.rname);
  if (error != ReadError::kNone) return error;
  if (end - cursor.at != kSoaNumbersBytes) return ReadError::kBadRdata;
  soa.serial = cursor.u32();
  soa.refresh = cursor.u32();
  soa.retry = cursor.u32();
  soa.expire = cursor.u32();
  soa.minimum = cursor.u32();
  out = std::move(soa);
  return ReadError::kNone;
}

template <typename Address>
ReadError read_address(Cursor& cursor, std::size_t length, Rdata& out) {
  Address data;
  if (length != data.address.size()) return ReadError::kBadRdata;
  for (auto& byte : data.address)
    byte = cursor.u8();
  out = data;
  return ReadError::kNone;
}

// The RDATA of `length` bytes at the cursor, which the caller checked are
// there. A and AAAA are Internet-class formats (RFC 1035 §3.4); NS, CNAME,
// PTR and SOA are the same in every class.
ReadError read_rdata(Cursor& cursor, uint16_t type, uint16_t klass, std::size_t length,
                     Rdata& out) {
  const std::size_t end = cursor.at + length;
  if (type == rrtype::kA && klass == kClassIn) return read_address<AData>(cursor, length, out);
  if (type == rrtype::kAaaa && klass == kClassIn) {
    return read_address<AaaaData>(cursor, length, out);
  }
  if (type == rrtype::kSoa) return read_soa(cursor, end, out);
  if (type == rrtype::kNs || type == rrtype::kCname || type == rrtype::kPtr) {
    NameData data;
    const ReadError error = read_rdata_name(cursor, end, data.name);
    if (error != ReadError::kNone) return error;
    if (cursor.at != end) return ReadError::kBadRdata;
    out = std::move(data);
    return ReadError::kNone;
  }
  out = RawData{cursor.bytes(length)};
  return ReadError::kNone;
}

enum class Section { kAnswer, kAuthority, kAdditional };

// RFC 6891 §6.1.2: options are {code, length, data} back to back, filling the
// RDATA exactly. Codes are not looked at: unknown ones are ignored, not wrong.
bool options_fit(std::string_view options) {
  std::size_t at = 0;
  while (options.size() - at >= kOptionHeaderBytes) {
    const auto high = static_cast<uint8_t>(options[at + 2]);
    const auto low = static_cast<uint8_t>(options[at + 3]);
    const std::size_t length = std::size_t{high} << 8 | low;
    if (length > options.size() - at - kOptionHeaderBytes) return false;
    at += kOptionHeaderBytes + length;
  }
  return at == options.size();
}

// Takes an OPT record whose name, type, class and TTL are in `record`. An
// OPT whose options do not fit it is kept without them, so the FORMERR it
// earns (RFC 6891 §7) can carry an OPT and the question.
ReadError take_opt(Cursor& cursor, Section section, const Record& record, std::size_t length,
                   Message& message) {
  if (section != Section::kAdditional || message.edns || !record.name.is_root()) {
    return ReadError::kBadOpt;
  }
  Edns edns;
  // RFC 6891 §6.2.5: a value below 512 is treated as 512.
  edns.udp_size = std::max<uint16_t>(record.klass, kMinUdpPayload);
  edns.version = static_cast<uint8_t>(record.ttl >> 16 & 0xFF);
  edns.dnssec_ok = (record.ttl & 0x8000) != 0;
  edns.options = cursor.bytes(length);
  const auto extended = static_cast<uint16_t>(record.ttl >> 24);
  message.header.rcode = static_cast<uint16_t>(extended << 4 | (message.header.rcode & 0x0F));
  const bool fits = options_fit(edns.options);
  if (!fits) edns.options.clear();
  message.edns = std::move(edns);
  return fits ? ReadError::kNone : ReadError::kBadOption;
}

// RFC 8945 §4.2: the algorithm is never compressed. Read in place, a name
// takes exactly as many bytes as its wire form; through a pointer it does
// not (a pointer is 2 bytes, no name it can reach is).
ReadError read_uncompressed_name(Cursor& cursor, std::size_t end, Name& out) {
  const std::size_t start = cursor.at;
  const ReadError error = read_rdata_name(cursor, end, out);
  if (error != ReadError::kNone) return error;
  return cursor.at - start == out.wire().size() ? ReadError::kNone : ReadError::kBadRdata;
}

// The RDATA of a TSIG, which must fill its `end` exactly.
ReadError read_tsig_rdata(Cursor& cursor, std::size_t end, Tsig& tsig) {
  const ReadError error = read_uncompressed_name(cursor, end, tsig.algorithm);
  if (error != ReadError::kNone) return error;
  if (end - cursor.at < kTsigFixedBytes) return ReadError::kBadRdata;
  const uint64_t high = cursor.u16();
  tsig.time_signed = high << 32 | cursor.u32();
  tsig.fudge = cursor.u16();
  const std::size_t mac_size = cursor.u16();
  if (end - cursor.at < mac_size + kTsigTailBytes) return ReadError::kBadRdata;
  tsig.mac = cursor.bytes(mac_size);
  tsig.original_id = cursor.u16();
  tsig.error = cursor.u16();
  const std::size_t other_size = cursor.u16();
  if (end - cursor.at != other_size) return ReadError::kBadRdata;
  tsig.other = cursor.bytes(other_size);
  return ReadError::kNone;
}

// Takes a TSIG record whose name, type, class and TTL are in `record`.
// RFC 8945 §5.2: it must be the last record (so there is one at most), in
// additional, of class ANY; anything else is FORMERR. Its TTL is not
// checked, as BIND does not: a TTL on a signature we cannot check anyway
// changes nothing.
ReadError take_tsig(Cursor& cursor, Section section, bool last, Record& record, std::size_t length,
                    Message& message) {
  if (section != Section::kAdditional || !last || record.klass != kClassAny) {
    return ReadError::kBadTsig;
  }
  Tsig tsig;
  tsig.key = std::move(record.name);
  const ReadError error = read_tsig_rdata(cursor, cursor.at + length, tsig);
  if (error != ReadError::kNone) return error;
  message.tsig = std::move(tsig);
  return ReadError::kNone;
}

std::vector<Record>& section_records(Message& message, Section section) {
  switch (section) {
    case Section::kAnswer:
      return message.answers;
    case Section::kAuthority:
      return message.authority;
    case Section::kAdditional:
      break;
  }
  return message.additional;
}

// `last`: the last record the counts announce.
ReadError read_record(Cursor& cursor, Section section, bool last, Message& message) {
  Record record;
  ReadError error = read_name(cursor, cursor.packet.size(), record.name);
  if (error != ReadError::kNone) return error;
  if (cursor.left() < kRecordFixedBytes) return ReadError::kTruncated;
  record.type = cursor.u16();
  record.klass = cursor.u16();
  record.ttl = cursor.u32();
  const std::size_t length = cursor.u16();
  if (length > cursor.left()) return ReadError::kTruncated;
  if (record.type == rrtype::kOpt) return take_opt(cursor, section, record, length, message);
  if (record.type == rrtype::kTsig) {
    return take_tsig(cursor, section, last, record, length, message);
  }
  error = read_rdata(cursor, record.type, record.klass, length, record.data);
  if (error != ReadError::kNone) return error;
  section_records(message, section).push_back(std::move(record));
  return ReadError::kNone;
}

ReadError read_records(Cursor& cursor, uint16_t count, Section section, Message& message) {
  if (std::size_t{count} * kMinRecordBytes > cursor.left()) return ReadError::kTruncated;
  // OPT does not stay in the additional section, so this may be one too many.
  section_records(message, section).reserve(count);
  for (uint16_t i = 0; i < count; ++i) {
    const ReadError error = read_record(cursor, section, i + 1 == count, message);
    if (error != ReadError::kNone) return error;
  }
  return ReadError::kNone;
}

}  // namespace

const char* to_string(ReadError error) {
  switch (error) {
    case ReadError::kNone:
      return "none";
    case ReadError::kShortHeader:
      return "short header";
    case ReadError::kTruncated:
      return "truncated";
    case ReadError::kBadLabel:
      return "bad label type";
    case ReadError::kNameTooLong:
      return "name too long";
    case ReadError::kBadPointer:
      return "bad compression pointer";
    case ReadError::kBadRdata:
      return "bad rdata";
    case ReadError::kBadOpt:
      return "bad OPT record";
    case ReadError::kBadOption:
      return "EDNS option past its OPT";
    case ReadError::kBadTsig:
      return "misplaced TSIG record";
    case ReadError::kTrailingData:
      return "trailing data";
  }
  return "unknown";
}

std::optional<Header> read_header(std::span<const uint8_t> packet) {
  if (packet.size() < kHeaderBytes) return std::nullopt;
  return decode_header(packet);
}

ReadResult read_message(std::span<const uint8_t> packet) {
  ReadResult result;
  if (packet.size() < kHeaderBytes) {
    result.error = ReadError::kShortHeader;
    return result;
  }
  result.message.header = decode_header(packet);
  Cursor cursor{.packet = packet, .at = 4};
  const uint16_t qdcount = cursor.u16();
  const uint16_t ancount = cursor.u16();
  const uint16_t nscount = cursor.u16();
  const uint16_t arcount = cursor.u16();
  Message& message = result.message;
  ReadError& error = result.error;
  error = read_questions(cursor, qdcount, message.questions);
  if (error == ReadError::kNone) error = read_records(cursor, ancount, Section::kAnswer, message);
  if (error == ReadError::kNone)
    error = read_records(cursor, nscount, Section::kAuthority, message);
  if (error == ReadError::kNone) {
    error = read_records(cursor, arcount, Section::kAdditional, message);
  }
  if (error == ReadError::kNone && cursor.left() != 0) error = ReadError::kTrailingData;
  return result;
}

}  // namespace meshgate::dns

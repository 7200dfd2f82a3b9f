// The DNS message writer: RFC 1035 §4 with name compression, RFC 6891 OPT,
// RFC 8945 TSIG.
#include "dns-global/writer.h"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace meshgate::dns {

namespace {

constexpr std::size_t kMaxPointerOffset = 0x3FFF;  // 14 bits
constexpr uint16_t kPointerBits = 0xC000;
constexpr uint8_t kPointerTag = 0xC0;  // the top two bits of a pointer's first byte
constexpr std::size_t kMaxRdataBytes = 0xFFFF;
// Room reserved up front: every answer this server writes fits, so the
// buffer is allocated once.
constexpr std::size_t kInitialBytes = 512;
// Suffixes remembered for compression, searched in order. Answers name a
// handful; past this many a suffix is written in full, which bounds the
// search for a message of thousands of names.
constexpr std::size_t kMaxSuffixes = 1024;

uint8_t lower(uint8_t c) {
  return c >= 'A' && c <= 'Z' ? static_cast<uint8_t>(c + 32) : c;
}

// Bytes out, with the table of name suffixes already written for compression.
class Writer {
 public:
  explicit Writer(std::size_t limit) : limit_(limit) {
    out_.reserve(std::min(limit, kInitialBytes));
    suffixes_.reserve(16);
  }

  std::size_t size() const { return out_.size(); }
  bool over_limit() const { return out_.size() > limit_; }
  std::vector<uint8_t> take() { return std::move(out_); }

  void u8(uint8_t value) { out_.push_back(value); }
  void u16(uint16_t value) {
    u8(static_cast<uint8_t>(value >> 8));
    u8(static_cast<uint8_t>(value & 0xFF));
  }
  void u32(uint32_t value) {
    u16(static_cast<uint16_t>(value >> 16));
    u16(static_cast<uint16_t>(value & 0xFFFF));
  }
  void bytes(std::string_view data) { out_.insert(out_.end(), data.begin(), data.end()); }
  void patch_u16(std::size_t at, uint16_t value) {
    out_[at] = static_cast<uint8_t>(value >> 8);
    out_[at + 1] = static_cast<uint8_t>(value & 0xFF);
  }

  void name(const Name& name);

 private:
  bool written_equals(std::size_t offset, std::string_view suffix) const;

  std::size_t limit_;
  std::vector<uint8_t> out_;
  // Where each name suffix was written, for compression pointers; the
  // written bytes themselves are the keys. Only offsets a pointer can reach.
  std::vector<uint16_t> suffixes_;
};

// Whether the name written at `offset` (labels, perhaps ending in a pointer)
// equals the uncompressed wire `suffix`, ASCII case-insensitively. Only this
// writer's own output is walked, and each of its pointers leads strictly
// backwards, so the walk ends.
bool Writer::written_equals(std::size_t offset, std::string_view suffix) const {
  std::size_t at = 0;
  for (;;) {
    const uint8_t length = out_[offset];
    if ((length & kPointerTag) == kPointerTag) {
      offset = static_cast<std::size_t>(length & 0x3F) << 8 | out_[offset + 1];
      continue;
    }
    if (at >= suffix.size() || static_cast<uint8_t>(suffix[at]) != length) return false;
    if (length == 0) return true;
    for (std::size_t i = 1; i <= length; ++i) {
      if (lower(out_[offset + i]) != lower(static_cast<uint8_t>(suffix[at + i]))) return false;
    }
    offset += 1 + length;
    at += 1 + length;
  }
}

// Writes the labels of `name` in its own case up to the longest suffix
// already written (matched case-insensitively), then a pointer to it.
void Writer::name(const Name& name) {
  const std::string_view wire = name.wire();
  // Only names written in full may be pointed to: this one's own suffixes
  // join the table as it is written, but are not complete yet.
  const std::size_t complete = suffixes_.size();
  std::size_t at = 0;
  while (wire[at] != '\0') {
    const std::string_view suffix = wire.substr(at);
    for (std::size_t i = 0; i < complete; ++i) {
      const uint16_t offset = suffixes_[i];
      if (written_equals(offset, suffix)) {
        u16(static_cast<uint16_t>(kPointerBits | offset));
        return;
      }
    }
    if (out_.size() <= kMaxPointerOffset && suffixes_.size() < kMaxSuffixes) {
      suffixes_.push_back(static_cast<uint16_t>(out_.size()));
    }
    const std::size_t length = 1 + static_cast<unsigned char>(wire[at]);
    bytes(wire.substr(at, length));
    at += length;
  }
  u8(0);
}

struct Counts {
  std::size_t questions = 0;
  std::size_t answers = 0;
  std::size_t authority = 0;
  std::size_t additional = 0;
};

// The header with the low 4 bits of the rcode. Counts past 65535 are cut,
// but such a message is past 65535 bytes and is never sent as is.
void write_header(Writer& out, const Header& header, bool truncated, const Counts& counts) {
  out.u16(header.id);
  const auto bit = [](bool set, int shift) { return static_cast<uint8_t>(set ? 1 << shift : 0); };
  out.u8(static_cast<uint8_t>(bit(header.qr, 7) | (header.opcode & 0x0F) << 3 | bit(header.aa, 2) |
                              bit(truncated, 1) | bit(header.rd, 0)));
  out.u8(static_cast<uint8_t>(bit(header.ra, 7) | bit(header.ad, 5) | bit(header.cd, 4) |
                              (header.rcode & 0x0F)));
  for (const std::size_t count :
       {counts.questions, counts.answers, counts.authority, counts.additional}) {
    out.u16(static_cast<uint16_t>(std::min<std::size_t>(count, 0xFFFF)));
  }
}

void write_question(Writer& out, const Question& question) {
  out.name(question.name);
  out.u16(question.type);
  out.u16(question.klass);
}

void write_rdata(Writer& out, const Rdata& data) {
  std::visit(
      [&out](const auto& value) {
        using T = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<T, AData> || std::is_same_v<T, AaaaData>) {
          for (const uint8_t byte : value.address)
            out.u8(byte);
        } else if constexpr (std::is_same_v<T, NameData>) {
          out.name(value.name);
        } else if constexpr (std::is_same_v<T, SoaData>) {
          out.name(value.mname);
          out.name(value.rname);
          for (const uint32_t number :
               {value.serial, value.refresh, value.retry, value.expire, value.minimum}) {
            out.u32(number);
          }
        } else {
          out.bytes(value.bytes);
        }
      },
      data);
}

// The RDATA goes after a length placeholder, filled in once it is written.
// RDATA past 65535 bytes cannot be sent: its length is cut, but the message
// is then past 65535 bytes too and never leaves as is.
void write_record(Writer& out, const Record& record) {
  out.name(record.name);
  out.u16(record.type);
  out.u16(record.klass);
  out.u32(record.ttl);
  const std::size_t length_at = out.size();
  out.u16(0);
  write_rdata(out, record.data);
  const std::size_t length = out.size() - length_at - 2;
  out.patch_u16(length_at, static_cast<uint16_t>(std::min(length, kMaxRdataBytes)));
}

// TSIG goes after OPT, last (RFC 8945 §5.2); its algorithm is written in
// full (§4.2: never compressed), so it is no suffix to point at either.
void write_tsig(Writer& out, const Tsig& tsig) {
  out.name(tsig.key);
  out.u16(rrtype::kTsig);
  out.u16(kClassAny);
  out.u32(0);
  const std::size_t length_at = out.size();
  out.u16(0);
  out.bytes(tsig.algorithm.wire());
  out.u16(static_cast<uint16_t>(tsig.time_signed >> 32 & 0xFFFF));
  out.u32(static_cast<uint32_t>(tsig.time_signed & 0xFFFFFFFF));
  out.u16(tsig.fudge);
  out.u16(static_cast<uint16_t>(std::min(tsig.mac.size(), kMaxRdataBytes)));
  out.bytes(tsig.mac);
  out.u16(tsig.original_id);
  out.u16(tsig.error);
  out.u16(static_cast<uint16_t>(std::min(tsig.other.size(), kMaxRdataBytes)));
  out.bytes(tsig.other);
  const std::size_t length = out.size() - length_at - 2;
  out.patch_u16(length_at, static_cast<uint16_t>(std::min(length, kMaxRdataBytes)));
}

void write_opt(Writer& out, const Edns& edns, uint16_t rcode, bool with_options) {
  out.u8(0);  // the root
  out.u16(rrtype::kOpt);
  out.u16(edns.udp_size);
  const uint32_t extended_rcode = rcode >> 4 & 0xFF;
  out.u32(extended_rcode << 24 | uint32_t{edns.version} << 16 | (edns.dnssec_ok ? 0x8000U : 0U));
  const std::string_view options = with_options ? std::string_view(edns.options) : "";
  out.u16(static_cast<uint16_t>(std::min(options.size(), kMaxRdataBytes)));
  out.bytes(options);
}

// Records, stopping early once past the limit.
bool write_records(Writer& out, const std::vector<Record>& records) {
  for (const Record& record : records) {
    write_record(out, record);
    if (out.over_limit()) return false;
  }
  return true;
}

// OPT and TSIG, each when present: the records the additional section ends with.
std::size_t pseudo_records(const Message& message) {
  return (message.edns ? 1U : 0U) + (message.tsig ? 1U : 0U);
}

std::optional<std::vector<uint8_t>> write_full(const Message& message, std::size_t limit) {
  Writer out(limit);
  const bool edns = message.edns.has_value();
  write_header(out, message.header, message.header.tc,
               Counts{message.questions.size(), message.answers.size(), message.authority.size(),
                      message.additional.size() + pseudo_records(message)});
  for (const Question& question : message.questions) {
    write_question(out, question);
    if (out.over_limit()) return std::nullopt;
  }
  if (!write_records(out, message.answers) || !write_records(out, message.authority) ||
      !write_records(out, message.additional)) {
    return std::nullopt;
  }
  if (edns) write_opt(out, *message.edns, message.header.rcode, true);
  if (message.tsig) write_tsig(out, *message.tsig);
  if (out.over_limit()) return std::nullopt;
  return out.take();
}

// TC set, no records; the questions, the options and TSIG only if they fit.
std::optional<std::vector<uint8_t>> write_truncated(const Message& message, std::size_t limit,
                                                    bool full_question) {
  Writer out(limit);
  const bool edns = message.edns.has_value();
  const bool tsig = full_question && message.tsig;
  write_header(out, message.header, true,
               Counts{full_question ? message.questions.size() : 0, 0, 0,
                      (edns ? 1U : 0U) + (tsig ? 1U : 0U)});
  if (full_question) {
    for (const Question& question : message.questions) {
      write_question(out, question);
      if (out.over_limit()) return std::nullopt;
    }
  }
  if (edns) write_opt(out, *message.edns, message.header.rcode, full_question);
  if (tsig) write_tsig(out, *message.tsig);
  if (out.over_limit()) return std::nullopt;
  return out.take();
}

}  // namespace

WriteResult write_message(const Message& message, std::size_t max_size) {
  const std::size_t limit = std::clamp(max_size, kMinUdpPayload, kMaxMessageBytes);
  if (auto full = write_full(message, limit)) return WriteResult{std::move(*full), false};
  if (auto part = write_truncated(message, limit, true)) return WriteResult{std::move(*part), true};
  // Header and a bare OPT: 23 bytes at most, below any limit.
  auto bare = write_truncated(message, limit, false);
  return WriteResult{bare ? std::move(*bare) : std::vector<uint8_t>{}, true};
}

}  // namespace meshgate::dns

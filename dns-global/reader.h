// Reads a DNS message from untrusted bytes. Every length is checked against
// what remains; compression pointers must point strictly backwards, so a
// pointer loop cannot exist, and a decompressed name may not pass 255 bytes.
// Pure: no I/O, no allocation beyond the message it returns.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "dns-global/message.h"

namespace meshgate::dns {

enum class ReadError {
  kNone,
  kShortHeader,   // fewer than 12 bytes
  kTruncated,     // a question or record runs past the end
  kBadLabel,      // a label type other than length (0b00) or pointer (0b11)
  kNameTooLong,   // more than 255 bytes once decompressed
  kBadPointer,    // a pointer into the header, not strictly before the name it is in, or too many
  kBadRdata,      // RDATA whose length does not fit its type (A not 4 bytes, ...)
  kBadOpt,        // OPT not named root, outside additional, or more than one
  kBadOption,     // an EDNS option running past its OPT, or bytes too few for one
  kBadTsig,       // TSIG not the last record of additional, or not of class ANY
  kTrailingData,  // bytes after the last record the counts announce
};

const char* to_string(ReadError error);

struct ReadResult {
  // As far as it was read; complete when ok(). On kBadOption it has the
  // questions and `edns` (without options), for a FORMERR that carries OPT.
  Message message;
  ReadError error = ReadError::kNone;
  bool ok() const { return error == ReadError::kNone; }
};

// The whole message. With an OPT record, header.rcode carries all 12 bits.
ReadResult read_message(std::span<const uint8_t> packet);

// Only the 12-byte header, for a reply to a message too broken to read.
std::optional<Header> read_header(std::span<const uint8_t> packet);

}  // namespace meshgate::dns

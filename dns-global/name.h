// A domain name as it travels on the wire: uncompressed, length-prefixed
// labels ending in the root's zero byte. Case is kept as received (a reply
// echoes the question's case); every comparison is ASCII case-insensitive.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace meshgate::dns {

inline constexpr std::size_t kMaxNameBytes = 255;  // RFC 1035 §3.1, wire form
inline constexpr std::size_t kMaxLabelBytes = 63;

class Name {
 public:
  Name();  // the root, "."

  // `wire` must be complete and valid: labels of 1..63 bytes, a final zero
  // byte, at most 255 bytes in all. Any byte may appear inside a label.
  static std::optional<Name> from_wire(std::string wire);
  // Presentation form: "httpbin.bar.global" or "httpbin.bar.global.";
  // "." or "" is the root. No escapes; a label is 1..63 bytes of anything
  // but '.', so config can name "*.foo.global" or "_dns._udp.x".
  static std::optional<Name> parse(std::string_view text);

  const std::string& wire() const { return wire_; }
  // Presentation form with a trailing dot; bytes other than letters, digits,
  // '-', '_' and '*' are written \DDD, and '.' inside a label as "\.".
  std::string text() const;
  // Lower case, without the trailing dot and without escaping: for config,
  // the registry and hosts files, whose names were checked as DNS names.
  std::string plain() const;

  bool is_root() const { return wire_.size() == 1; }
  std::size_t label_count() const;
  std::string_view first_label() const;  // "" for the root
  Name parent() const;                   // the root's parent is the root
  // A child: `label` (1..63 bytes) in front; nothing if the name would grow
  // past 255 bytes.
  std::optional<Name> child(std::string_view label) const;

  // Equal to `zone` or below it, case-insensitively.
  bool is_at_or_below(const Name& zone) const;
  // The wire form in lower case: a key for maps and sets.
  std::string key() const;
  // The same, written into `buffer`: for a lookup that should not allocate.
  std::string_view key_into(std::array<char, kMaxNameBytes>& buffer) const;

  friend bool operator==(const Name& a, const Name& b);  // case-insensitive

 private:
  explicit Name(std::string wire) : wire_(std::move(wire)) {}
  std::string wire_;
};

// ASCII-only lower casing, as DNS compares names (RFC 4343).
char ascii_lower(char c);

}  // namespace meshgate::dns

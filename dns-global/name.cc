// Domain names in wire form.
#include "dns-global/name.h"

#include <algorithm>

namespace meshgate::dns {

namespace {

bool is_plain_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '*';
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

}  // namespace

char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

Name::Name() : wire_(1, '\0') {}

std::optional<Name> Name::from_wire(std::string wire) {
  if (wire.empty() || wire.size() > kMaxNameBytes) return std::nullopt;
  std::size_t at = 0;
  while (at < wire.size()) {
    const auto length = static_cast<unsigned char>(wire[at]);
    if (length == 0)
      return at + 1 == wire.size() ? std::optional<Name>(Name(std::move(wire))) : std::nullopt;
    if (length > kMaxLabelBytes) return std::nullopt;
    at += 1 + length;
  }
  return std::nullopt;  // ran off the end without the root label
}

std::optional<Name> Name::parse(std::string_view text) {
  if (text == "." || text.empty()) return Name();
  if (text.back() == '.') text.remove_suffix(1);
  std::string wire;
  while (true) {
    const std::size_t dot = text.find('.');
    const std::string_view label = text.substr(0, dot);
    if (label.empty() || label.size() > kMaxLabelBytes) return std::nullopt;
    wire.push_back(static_cast<char>(label.size()));
    wire.append(label);
    if (dot == std::string_view::npos) break;
    text.remove_prefix(dot + 1);
  }
  wire.push_back('\0');
  return from_wire(std::move(wire));
}

std::string Name::text() const {
  if (is_root()) return ".";
  std::string out;
  for (std::size_t at = 0; wire_[at] != 0; at += 1 + static_cast<unsigned char>(wire_[at])) {
    const auto length = static_cast<unsigned char>(wire_[at]);
    for (std::size_t i = at + 1; i <= at + length; ++i) {
      const auto c = static_cast<unsigned char>(wire_[i]);
      if (is_plain_byte(c)) {
        out.push_back(static_cast<char>(c));
      } else if (c == '.' || c == '\\') {
        out.push_back('\\');
        out.push_back(static_cast<char>(c));
      } else {
        out.push_back('\\');
        out.push_back(static_cast<char>('0' + c / 100));
        out.push_back(static_cast<char>('0' + c / 10 % 10));
        out.push_back(static_cast<char>('0' + c % 10));
      }
    }
    out.push_back('.');
  }
  return out;
}

std::string Name::plain() const {
  std::string out;
  for (std::size_t at = 0; wire_[at] != 0; at += 1 + static_cast<unsigned char>(wire_[at])) {
    if (!out.empty()) out.push_back('.');
    const auto length = static_cast<unsigned char>(wire_[at]);
    for (std::size_t i = at + 1; i <= at + length; ++i)
      out.push_back(ascii_lower(wire_[i]));
  }
  return out;
}

std::size_t Name::label_count() const {
  std::size_t count = 0;
  for (std::size_t at = 0; wire_[at] != 0; at += 1 + static_cast<unsigned char>(wire_[at])) {
    ++count;
  }
  return count;
}

std::string_view Name::first_label() const {
  return std::string_view(wire_).substr(1, static_cast<unsigned char>(wire_[0]));
}

Name Name::parent() const {
  if (is_root()) return Name();
  return Name(wire_.substr(1 + static_cast<unsigned char>(wire_[0])));
}

std::optional<Name> Name::child(std::string_view label) const {
  if (label.empty() || label.size() > kMaxLabelBytes) return std::nullopt;
  if (wire_.size() + 1 + label.size() > kMaxNameBytes) return std::nullopt;
  std::string wire;
  wire.reserve(wire_.size() + 1 + label.size());
  wire.push_back(static_cast<char>(label.size()));
  wire.append(label);
  wire.append(wire_);
  return Name(std::move(wire));
}

bool Name::is_at_or_below(const Name& zone) const {
  if (zone.wire_.size() > wire_.size()) return false;
  // The zone must end this name on a label boundary: walk the labels until
  // what is left is as long as the zone.
  std::size_t at = 0;
  while (wire_.size() - at > zone.wire_.size())
    at += 1 + static_cast<unsigned char>(wire_[at]);
  return wire_.size() - at == zone.wire_.size() &&
         equal_ignoring_case(std::string_view(wire_).substr(at), zone.wire_);
}

std::string Name::key() const {
  std::string out = wire_;
  // Length bytes are 0..63, below 'A', so lower-casing every byte is safe.
  for (char& c : out)
    c = ascii_lower(c);
  return out;
}

std::string_view Name::key_into(std::array<char, kMaxNameBytes>& buffer) const {
  // A Name's wire form is at most kMaxNameBytes, checked where it is made.
  const std::size_t size = std::min(wire_.size(), buffer.size());
  for (std::size_t i = 0; i < size; ++i)
    buffer[i] = ascii_lower(wire_[i]);
  return {buffer.data(), size};
}

bool operator==(const Name& a, const Name& b) {
  return equal_ignoring_case(a.wire_, b.wire_);
}

}  // namespace meshgate::dns

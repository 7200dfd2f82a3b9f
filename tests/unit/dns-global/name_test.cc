// Name: parsing, wire form, presentation, case rules and the limits of
// RFC 1035 §3.1 (63-byte labels, 255-byte names).
#include <cstddef>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "dns-global/name.h"

namespace meshgate::dns {
namespace {

using namespace std::string_literals;

Name must_parse(std::string_view text) {
  auto name = Name::parse(text);
  EXPECT_TRUE(name.has_value()) << text;
  return name.value_or(Name());
}

// `count` labels of one letter each: 2 * count + 1 bytes on the wire.
std::string one_letter_labels(std::size_t count) {
  std::string text;
  for (std::size_t i = 0; i < count; ++i)
    text += i == 0 ? "a" : ".a";
  return text;
}

TEST(NameTest, ParsesIntoLengthPrefixedLabels) {
  const Name name = must_parse("httpbin.bar.global");
  EXPECT_EQ(name.wire(),
            "\x07httpbin\x03"
            "bar\x06global\x00"s);
  EXPECT_EQ(name.text(), "httpbin.bar.global.");
  EXPECT_EQ(name.plain(), "httpbin.bar.global");
  EXPECT_EQ(name.label_count(), 3U);
  EXPECT_EQ(name.first_label(), "httpbin");
  EXPECT_FALSE(name.is_root());
}

TEST(NameTest, TrailingDotIsOptional) {
  EXPECT_EQ(must_parse("a.global.").wire(), must_parse("a.global").wire());
}

TEST(NameTest, RootHasOneZeroByte) {
  for (const char* text : {"", "."}) {
    const Name root = must_parse(text);
    EXPECT_TRUE(root.is_root());
    EXPECT_EQ(root.wire(), "\x00"s);
    EXPECT_EQ(root.text(), ".");
    EXPECT_EQ(root.plain(), "");
    EXPECT_EQ(root.label_count(), 0U);
    EXPECT_EQ(root.first_label(), "");
  }
  EXPECT_TRUE(Name().is_root());
}

TEST(NameTest, RejectsEmptyLabels) {
  for (const char* text : {"a..b", ".a", "..", "a.b.."}) {
    EXPECT_FALSE(Name::parse(text).has_value()) << text;
  }
}

TEST(NameTest, LabelsUpTo63Bytes) {
  const std::string label63(63, 'x');
  const auto ok = Name::parse(label63 + ".global");
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->first_label(), label63);
  EXPECT_FALSE(Name::parse(std::string(64, 'x') + ".global").has_value());
}

TEST(NameTest, NamesUpTo255WireBytes) {
  const auto longest = Name::parse(one_letter_labels(127));  // 127 * 2 + 1
  ASSERT_TRUE(longest.has_value());
  EXPECT_EQ(longest->wire().size(), kMaxNameBytes);
  EXPECT_EQ(longest->label_count(), 127U);
  EXPECT_FALSE(Name::parse(one_letter_labels(128)).has_value());
  // Three 63-byte labels and one of 61: 3 * 64 + 62 + 1 = 255.
  const std::string l63(63, 'x');
  EXPECT_TRUE(Name::parse(l63 + "." + l63 + "." + l63 + "." + std::string(61, 'y')).has_value());
  EXPECT_FALSE(Name::parse(l63 + "." + l63 + "." + l63 + "." + std::string(62, 'y')).has_value());
}

TEST(NameTest, FromWireChecksEveryLength) {
  EXPECT_TRUE(Name::from_wire("\x01"
                              "a\x00"s)
                  .has_value());
  EXPECT_TRUE(Name::from_wire("\x00"s).has_value());
  EXPECT_FALSE(Name::from_wire("").has_value());
  EXPECT_FALSE(Name::from_wire("\x01"
                               "a")
                   .has_value());  // no root label
  EXPECT_FALSE(Name::from_wire("\x05"
                               "a\x00"s)
                   .has_value());  // label past the end
  EXPECT_FALSE(Name::from_wire("\x01"
                               "a\x00\x00"s)
                   .has_value());  // bytes after the root
  EXPECT_FALSE(Name::from_wire("\x40" + std::string(64, 'x') + "\x00"s).has_value());
  EXPECT_FALSE(Name::from_wire("\xC0\x0C"s).has_value());  // a pointer is not a name
  std::string too_long;
  for (int i = 0; i < 128; ++i)
    too_long +=
        "\x01"
        "a";
  EXPECT_FALSE(Name::from_wire(too_long + "\x00"s).has_value());
}

TEST(NameTest, FromWireTakesAnyByteInALabel) {
  const auto name = Name::from_wire(
      "\x03"
      "a.b\x02\x00\xFF\x00"s);
  ASSERT_TRUE(name.has_value());
  EXPECT_EQ(name->label_count(), 2U);
  EXPECT_EQ(name->text(), "a\\.b.\\000\\255.");
}

TEST(NameTest, TextEscapesWhatIsNotPlain) {
  const auto name = Name::from_wire(
      "\x06"
      "a b\\*_\x03"
      "x-Y\x00"s);
  ASSERT_TRUE(name.has_value());
  EXPECT_EQ(name->text(), "a\\032b\\\\*_.x-Y.");
  EXPECT_EQ(must_parse("*.foo.global").text(), "*.foo.global.");
  EXPECT_EQ(must_parse("_dns._udp.x").text(), "_dns._udp.x.");
}

TEST(NameTest, PlainIsLowerCaseWithoutEscapes) {
  EXPECT_EQ(must_parse("HttpBin.Bar.GLOBAL.").plain(), "httpbin.bar.global");
  const auto name = Name::from_wire(
      "\x03"
      "A B\x00"s);
  ASSERT_TRUE(name.has_value());
  EXPECT_EQ(name->plain(), "a b");
}

TEST(NameTest, KeepsCaseAndComparesWithoutIt) {
  const Name mixed = must_parse("HttpBin.Bar.Global");
  const Name lower = must_parse("httpbin.bar.global");
  EXPECT_EQ(mixed.wire(),
            "\x07HttpBin\x03"
            "Bar\x06Global\x00"s);
  EXPECT_EQ(mixed, lower);
  EXPECT_NE(mixed.wire(), lower.wire());
  EXPECT_EQ(mixed.key(), lower.wire());
  EXPECT_EQ(mixed.key(), lower.key());
  std::array<char, kMaxNameBytes> buffer;
  EXPECT_EQ(mixed.key_into(buffer), mixed.key());
  std::string longest;  // 127 labels: the largest a name can be
  for (int i = 0; i < 127; ++i)
    longest += i == 0 ? "Z" : ".z";
  const Name full = must_parse(longest);
  ASSERT_EQ(full.wire().size(), kMaxNameBytes);
  EXPECT_EQ(full.key_into(buffer), full.key());
  EXPECT_NE(must_parse("httpbin.bar.global"), must_parse("httpbin.baz.global"));
  EXPECT_NE(must_parse("a.b"), must_parse("ab"));
}

TEST(NameTest, CaseFoldingIsAsciiOnly) {
  EXPECT_EQ(ascii_lower('Q'), 'q');
  EXPECT_EQ(ascii_lower('q'), 'q');
  EXPECT_EQ(ascii_lower('@'), '@');
  EXPECT_EQ(ascii_lower('['), '[');
  EXPECT_EQ(ascii_lower('\xC4'), '\xC4');
  const auto upper = Name::from_wire("\x01\xC4\x00"s);
  const auto lower = Name::from_wire("\x01\xE4\x00"s);
  ASSERT_TRUE(upper && lower);
  EXPECT_NE(*upper, *lower);
}

TEST(NameTest, ChildPutsALabelInFront) {
  const Name zone = must_parse("bar.global");
  const auto child = zone.child("HttpBin");
  ASSERT_TRUE(child.has_value());
  EXPECT_EQ(child->text(), "HttpBin.bar.global.");
  EXPECT_FALSE(zone.child("").has_value());
  EXPECT_FALSE(zone.child(std::string(64, 'x')).has_value());
  EXPECT_TRUE(zone.child(std::string(63, 'x')).has_value());
  EXPECT_EQ(Name().child("global")->wire(), "\x06global\x00"s);
}

TEST(NameTest, ChildStopsAt255Bytes) {
  const Name name = must_parse(one_letter_labels(126));  // 253 bytes
  EXPECT_TRUE(name.child("b").has_value());              // 255
  EXPECT_FALSE(name.child("bc").has_value());            // 256
}

TEST(NameTest, ParentDropsTheFirstLabel) {
  EXPECT_EQ(must_parse("a.bar.global").parent().text(), "bar.global.");
  EXPECT_TRUE(must_parse("global").parent().is_root());
  EXPECT_TRUE(Name().parent().is_root());
}

TEST(NameTest, AtOrBelowOnLabelBoundaries) {
  const Name zone = must_parse("bar.global");
  EXPECT_TRUE(must_parse("bar.global").is_at_or_below(zone));
  EXPECT_TRUE(must_parse("HTTPBIN.Bar.global").is_at_or_below(zone));
  EXPECT_TRUE(must_parse("a.b.bar.global").is_at_or_below(zone));
  EXPECT_FALSE(must_parse("xbar.global").is_at_or_below(zone));
  EXPECT_FALSE(must_parse("global").is_at_or_below(zone));
  EXPECT_FALSE(must_parse("bar.globalx").is_at_or_below(zone));
  EXPECT_TRUE(must_parse("anything.at.all").is_at_or_below(Name()));
  EXPECT_FALSE(Name().is_at_or_below(zone));
}

}  // namespace
}  // namespace meshgate::dns

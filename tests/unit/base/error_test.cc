#include "base/error.h"

#include <gtest/gtest.h>

namespace meshgate::base {
namespace {

TEST(FormatError, OmitsLineAndPathWhenAbsent) {
  EXPECT_EQ(format_error("a.yaml", {"listeners.dns.port", 7, "port out of range (0..65535)"}),
            "a.yaml:7: listeners.dns.port: port out of range (0..65535)");
  EXPECT_EQ(format_error("a.yaml", {"workers", 0, "m"}), "a.yaml: workers: m");
  EXPECT_EQ(format_error("a.yaml", {"", 3, "m"}), "a.yaml:3: m");
  EXPECT_EQ(format_error("a.yaml", {"", 0, "m"}), "a.yaml: m");
}

TEST(FormatError, WithoutAFileStartsAtTheLine) {
  EXPECT_EQ(format_error("", {"workers", 3, "m"}), ":3: workers: m");
  EXPECT_EQ(format_error("", {"workers", 0, "m"}), "workers: m");
}

TEST(DescribeError, NamesTheLineInWords) {
  EXPECT_EQ(describe(Error{"services[0].name", 4, "required"}),
            "line 4: services[0].name: required");
  EXPECT_EQ(describe(Error{"", 2, "syntax error"}), "line 2: syntax error");
  EXPECT_EQ(describe(Error{"metadata.name", 0, "missing"}), "metadata.name: missing");
  EXPECT_EQ(describe(Error{"", 0, "empty"}), "empty");
}

TEST(DescribeError, JoinsAList) {
  EXPECT_EQ(describe(Errors{}), "");
  EXPECT_EQ(describe(Errors{{"a", 1, "x"}, {"b", 0, "y"}}), "line 1: a: x; b: y");
}

}  // namespace
}  // namespace meshgate::base

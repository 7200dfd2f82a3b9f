#include "config/yaml_scalar.h"

#include <charconv>

#include "config/key_path.h"

namespace meshgate::config::detail {

// yaml-cpp marks are 0-based; a null mark is -1.
int line_of_mark(const YAML::Mark& mark) {
  return mark.line >= 0 ? mark.line + 1 : 0;
}

// yaml-cpp tags a quoted scalar "!": it is a string, never a number or boolean.
bool is_plain_scalar(const YAML::Node& node) {
  return node.IsScalar() && node.Tag() != "!";
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return is_plain_scalar(node) ? in_quotes(node.Scalar())
                                   : "the quoted string " + in_quotes(node.Scalar());
    default:
      return "nothing (null)";
  }
}

std::string_view type_name(YAML::NodeType::value type) {
  switch (type) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    default:
      return "a string";
  }
}

IntParse parse_integer(const YAML::Node& node, int64_t& value) {
  if (!is_plain_scalar(node) || node.Scalar().empty()) return IntParse::kNotInteger;
  const std::string& text = node.Scalar();
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (stop != end) return IntParse::kNotInteger;
  if (error == std::errc::result_out_of_range) return IntParse::kTooLarge;
  return error == std::errc() ? IntParse::kOk : IntParse::kNotInteger;
}

std::optional<bool> parse_bool(const YAML::Node& node) {
  if (!is_plain_scalar(node)) return std::nullopt;
  const std::string& text = node.Scalar();
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  return std::nullopt;
}

}  // namespace meshgate::config::detail

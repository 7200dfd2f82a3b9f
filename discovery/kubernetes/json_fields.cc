// Reading the fields of the API server's JSON, each checked and named.
#include "discovery/kubernetes/json_fields.h"

#include <fmt/format.h>

namespace meshgate::discovery::kube::detail {

// Records the first error, "<path>: <what>", and returns false.
bool fail(std::string& err, std::string_view path, std::string_view what) {
  if (err.empty()) err = fmt::format("{}: {}", path, what);
  return false;
}

std::string at(std::string_view path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}

std::string index(std::string_view path, size_t i) {
  return fmt::format("{}[{}]", path, i);
}

// Depth of { and [ outside strings, counted before the (recursive) parser runs.
bool depth_ok(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxJsonDepth) return false;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;  // mismatched brackets are left to the parser
    }
  }
  return true;
}

std::optional<json> parse_object(std::string_view text, std::string& err) {
  if (!depth_ok(text)) {
    err = fmt::format("JSON nested deeper than {}", kMaxJsonDepth);
    return std::nullopt;
  }
  json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    err = "invalid JSON";
    return std::nullopt;
  }
  if (!doc.is_object()) {
    err = "expected a JSON object";
    return std::nullopt;
  }
  return doc;
}

// A member of an object; null reads as absent, as the API's omitempty.
const json* find(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

const json& empty_object() {
  static const json kEmpty = json::object();
  return kEmpty;
}

// `out` is the member, or an empty object when absent.
bool read_object(const json& obj, const char* key, std::string_view path, const json*& out,
                 std::string& err) {
  const json* v = find(obj, key);
  if (v != nullptr && !v->is_object()) return fail(err, at(path, key), "expected an object");
  out = v != nullptr ? v : &empty_object();
  return true;
}

bool read_string(const json& obj, const char* key, std::string_view path, std::string& out,
                 std::string& err) {
  const json* v = find(obj, key);
  if (v == nullptr) return true;
  if (!v->is_string()) return fail(err, at(path, key), "expected a string");
  out = v->get_ref<const std::string&>();
  return true;
}

bool read_opt_bool(const json& obj, const char* key, std::string_view path,
                   std::optional<bool>& out, std::string& err) {
  const json* v = find(obj, key);
  if (v == nullptr) return true;
  if (!v->is_boolean()) return fail(err, at(path, key), "expected a boolean");
  out = v->get<bool>();
  return true;
}

std::optional<uint64_t> as_uint(const json& v, uint64_t lo, uint64_t hi) {
  if (!v.is_number_unsigned()) return std::nullopt;  // floats and negatives too
  uint64_t n = v.get<uint64_t>();
  if (n < lo || n > hi) return std::nullopt;
  return n;
}

// An integer lo..hi; when required, absence is an error too.
bool read_uint(const json& obj, const char* key, std::string_view path, uint64_t lo, uint64_t hi,
               bool required, std::optional<uint64_t>& out, std::string& err) {
  const json* v = find(obj, key);
  if (v == nullptr && !required) return true;
  if (v != nullptr) out = as_uint(*v, lo, hi);
  if (!out) return fail(err, at(path, key), fmt::format("expected an integer {}..{}", lo, hi));
  return true;
}

bool read_labels(const json& obj, const char* key, std::string_view path, Labels& out,
                 std::string& err) {
  const json* v = find(obj, key);
  if (v == nullptr) return true;
  std::string p = at(path, key);
  if (!v->is_object()) return fail(err, p, "expected an object of strings");
  for (const auto& [name, value] : v->items()) {
    if (!value.is_string())
      return fail(err, fmt::format("{}[\"{}\"]", p, name), "expected a string");
    out.insert_or_assign(name, value.get<std::string>());
  }
  return true;
}

bool read_strings(const json& obj, const char* key, std::string_view path,
                  std::vector<std::string>& out, std::string& err) {
  const json* v = find(obj, key);
  if (v == nullptr) return true;
  std::string p = at(path, key);
  if (!v->is_array()) return fail(err, p, "expected an array of strings");
  for (size_t i = 0; i < v->size(); ++i) {
    if (!(*v)[i].is_string()) return fail(err, index(p, i), "expected a string");
    out.push_back((*v)[i].get<std::string>());
  }
  return true;
}

}  // namespace meshgate::discovery::kube::detail

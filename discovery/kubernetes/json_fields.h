// Field readers for the API server's JSON, shared by the decoders. Each
// reader checks the type the API gives the field, leaves the target alone
// when the field is absent (or null, as the API's omitempty), and records
// the first problem as "<path>: <what>". Internal to discovery/kubernetes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "discovery/kubernetes/decode.h"

namespace meshgate::discovery::kube::detail {

using json = nlohmann::json;

inline constexpr uint64_t kMaxUint32 = 0xffffffffu;
inline constexpr size_t kMaxQuoted = 40;  // of untrusted text echoed in an error

// Records the first error, "<path>: <what>", and returns false.
bool fail(std::string& err, std::string_view path, std::string_view what);
std::string at(std::string_view path, std::string_view key);  // "path.key"
std::string index(std::string_view path, size_t i);           // "path[i]"

// The document, if it is a JSON object nested at most kMaxJsonDepth deep.
std::optional<json> parse_object(std::string_view text, std::string& err);

// A member of an object; null reads as absent.
const json* find(const json& obj, const char* key);

bool read_object(const json& obj, const char* key, std::string_view path, const json*& out,
                 std::string& err);
bool read_string(const json& obj, const char* key, std::string_view path, std::string& out,
                 std::string& err);
bool read_opt_bool(const json& obj, const char* key, std::string_view path,
                   std::optional<bool>& out, std::string& err);
std::optional<uint64_t> as_uint(const json& v, uint64_t lo, uint64_t hi);
bool read_uint(const json& obj, const char* key, std::string_view path, uint64_t lo, uint64_t hi,
               bool required, std::optional<uint64_t>& out, std::string& err);
bool read_labels(const json& obj, const char* key, std::string_view path, Labels& out,
                 std::string& err);
bool read_strings(const json& obj, const char* key, std::string_view path,
                  std::vector<std::string>& out, std::string& err);

// A port number 1..65535 into a uint16_t or uint32_t field, left alone when absent.
template <typename U>
bool read_port(const json& obj, const char* key, std::string_view path, bool required, U& out,
               std::string& err) {
  std::optional<uint64_t> n;
  if (!read_uint(obj, key, path, 1, 65535, required, n, err)) return false;
  if (n) out = static_cast<U>(*n);
  return true;
}

}  // namespace meshgate::discovery::kube::detail

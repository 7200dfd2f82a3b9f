// Fuzz target for the Istio SNI grammar (sni/istio_name.h):
// outbound_.<port>_.<subset>_.<fqdn>, <name>.<namespace>.global and plain
// host names. Invariants: no crash; a name that parses has a valid lower-case
// host of at most 253 characters, a port in 1..65535 exactly when it came as
// outbound_, and a subset that is empty or one lower-case DNS label; it
// formats back (format_outbound, or the host alone) to text that parses to
// the same name; the parse ignores letter case; a .global host rewrites to a
// valid <name>.<namespace>.svc.<domain> name.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "sni/istio_name.h"

namespace {

using meshgate::sni::IstioName;
using meshgate::sni::kMaxHostNameLength;
using meshgate::sni::NameError;
using meshgate::sni::NameParse;

constexpr std::string_view kClusterDomain = "cluster.local";
constexpr std::string_view kGlobalSuffix = ".global";
constexpr std::string_view kSvcSuffix = ".svc.cluster.local";

void check(bool invariant) {
  if (!invariant) std::abort();
}

bool same_name(const IstioName& a, const IstioName& b) {
  return a.outbound == b.outbound && a.port == b.port && a.subset == b.subset && a.host == b.host;
}

bool same_parse(const NameParse& a, const NameParse& b) {
  return a.error == b.error && (!a.ok() || same_name(a.name, b.name));
}

std::string to_upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

void check_fields(const IstioName& name) {
  check(!name.host.empty() && name.host.size() <= kMaxHostNameLength);
  check(meshgate::sni::is_lowercase_host(name.host));
  check(name.outbound == name.port.has_value());
  if (name.port) check(*name.port >= 1);
  check(name.outbound || name.subset.empty());
  if (!name.subset.empty()) {
    check(name.subset.find('.') == std::string::npos);
    check(meshgate::sni::is_lowercase_host(name.subset));
  }
}

void check_round_trip(const IstioName& name) {
  const std::string text = name.outbound
                               ? meshgate::sni::format_outbound(*name.port, name.subset, name.host)
                               : name.host;
  const NameParse again = meshgate::sni::parse_sni(text);
  check(again.ok() && same_name(again.name, name));
}

void check_global_rewrite(const std::string& host) {
  const std::string rewritten = meshgate::sni::rewrite_global(host, kClusterDomain);
  const bool global = host.size() > kGlobalSuffix.size() && host.ends_with(kGlobalSuffix) &&
                      std::count(host.begin(), host.end(), '.') == 2;
  if (!global) {
    check(rewritten == host);
    return;
  }
  const std::string_view name_and_namespace =
      std::string_view(host).substr(0, host.size() - kGlobalSuffix.size());
  check(rewritten == std::string(name_and_namespace) + std::string(kSvcSuffix));
  check(rewritten.size() > kMaxHostNameLength || meshgate::sni::is_lowercase_host(rewritten));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const NameParse parsed = meshgate::sni::parse_sni(input);
  check(parsed.ok() == (parsed.error == NameError::kNone));
  check(std::strcmp(meshgate::sni::to_string(parsed.error), "unknown") != 0);
  check(same_parse(meshgate::sni::parse_sni(to_upper(input)), parsed));
  if (parsed.ok()) {
    check_fields(parsed.name);
    check_round_trip(parsed.name);
    check_global_rewrite(parsed.name.host);
  }
  const NameError host_error = meshgate::sni::validate_host(input);
  if (host_error == NameError::kNone) check(input.size() <= kMaxHostNameLength);
  if (meshgate::sni::is_istio_alpn(input)) check(input.starts_with("istio"));
  return 0;
}

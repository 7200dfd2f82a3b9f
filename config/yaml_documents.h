// YAML::LoadAll() made safe against a yaml-cpp 0.7 bug: on some invalid input
// (a stray ',' where a document should start, e.g. ",)s: x") its parser
// reports a null document without consuming the token, again and again, and
// LoadAll() keeps them all until memory runs out (jbeder/yaml-cpp#1040,
// fixed after 0.8.0; Debian 12 ships 0.7.0). Every YAML file meshgate reads
// (config, registry, WorkloadGroup) comes in through here.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>
#include <vector>

namespace meshgate::config {

// The documents of `text`, as YAML::LoadAll() gives them. Throws what
// LoadAll() throws, and YAML::ParserException ("unexpected token where a
// document should start") where LoadAll() would never return.
std::vector<YAML::Node> load_all_documents(const std::string& text);

// True when `text` has nothing but blank lines and comments: zero bytes, or
// what a reader sees of a file caught in the middle of a non-atomic rewrite.
// The gateway's own files refuse it; `{}` or `services: []` say "empty" on
// purpose.
bool holds_no_yaml(std::string_view text);

}  // namespace meshgate::config

#include "config/yaml_documents.h"

#include <yaml-cpp/eventhandler.h>

#include <optional>
#include <sstream>

namespace meshgate::config {
namespace {

// Remembers where the last document started; builds nothing.
class DocumentStarts final : public YAML::EventHandler {
 public:
  const YAML::Mark& start() const { return start_; }
  void OnDocumentStart(const YAML::Mark& mark) override { start_ = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

 private:
  YAML::Mark start_;
};

// The documents are walked once with a handler that builds nothing; a
// document that starts where the previous one started (the parser took no
// input in between) is where LoadAll() would loop. The walk costs about as
// much as the parse it guards.
void check_documents_advance(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts starts;
  std::optional<int> previous;
  while (parser.HandleNextDocument(starts)) {
    if (previous == starts.start().pos) {
      throw YAML::ParserException(starts.start(), "unexpected token where a document should start");
    }
    previous = starts.start().pos;
  }
}

}  // namespace

std::vector<YAML::Node> load_all_documents(const std::string& text) {
  check_documents_advance(text);
  return YAML::LoadAll(text);
}

bool holds_no_yaml(std::string_view text) {
  while (!text.empty()) {
    const std::size_t end = std::min(text.find('\n'), text.size());
    const std::string_view line = text.substr(0, end);
    const std::size_t first = line.find_first_not_of(" \t\r");
    if (first != std::string_view::npos && line[first] != '#') return false;
    text.remove_prefix(std::min(end + 1, text.size()));
  }
  return true;
}

}  // namespace meshgate::config

// exportTo, as istiod reads it (pilot/pkg/model/push_context.go:
// serviceExportTo, IsServiceVisible; serviceregistry/kube/conversion.go for
// the Service annotation): which namespaces see a Service, ServiceEntry or
// DestinationRule. The gateway sees what is visible from its own namespace.
//   "*"        every namespace (also the mesh default when nothing is set)
//   "."        the object's own namespace
//   "~"        none
//   "<ns>"     that namespace
// "*" wins over everything else in the list; "~" over the rest.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace meshgate::discovery::kube {

// The annotation networking.istio.io/exportTo: comma-separated, each item
// trimmed of blanks; empty items dropped.
std::vector<std::string> parse_export_to(std::string_view annotation);

// True if an object in `object_ns` exported to `export_to` (empty: the mesh
// default, "*") is visible from `viewer_ns`.
bool visible_from(const std::vector<std::string>& export_to, std::string_view object_ns,
                  std::string_view viewer_ns);

}  // namespace meshgate::discovery::kube

// A network namespace of the test's own. Binding a wildcard address
// (0.0.0.0, ::) listens on every address of the machine; a test that must
// bind one first moves into a fresh namespace, where the only interface is
// loopback (brought up here), so nothing outside can reach it.
#pragma once

#include <string>

namespace meshgate::testing {

// Moves the calling thread (and the threads it starts afterwards) into a new
// network namespace with loopback up. Returns "" or why not (unshare needs
// CAP_SYS_ADMIN: root, as in CI).
std::string enter_private_network();

}  // namespace meshgate::testing

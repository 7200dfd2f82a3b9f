#include "tests/support/netns.h"

#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace meshgate::testing {
namespace {

std::string bring_loopback_up() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::string("socket: ") + std::strerror(errno);
  ifreq request{};
  std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  std::string error;
  if (::ioctl(fd, SIOCGIFFLAGS, &request) != 0) {
    error = std::string("SIOCGIFFLAGS lo: ") + std::strerror(errno);
  } else {
    request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
    if (::ioctl(fd, SIOCSIFFLAGS, &request) != 0) {
      error = std::string("SIOCSIFFLAGS lo: ") + std::strerror(errno);
    }
  }
  ::close(fd);
  return error;
}

// A fresh namespace holds loopback and nothing else; anything more means
// the test did not leave the machine's own.
std::string only_loopback() {
  struct if_nameindex* names = ::if_nameindex();
  if (names == nullptr) return std::string("if_nameindex: ") + std::strerror(errno);
  std::string error;
  for (const struct if_nameindex* n = names; n->if_index != 0; ++n) {
    if (std::strcmp(n->if_name, "lo") != 0) error = std::string("interface ") + n->if_name;
  }
  ::if_freenameindex(names);
  return error.empty() ? "" : error + " in what should be a fresh network namespace";
}

}  // namespace

std::string enter_private_network() {
  if (::unshare(CLONE_NEWNET) != 0) {
    return std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno);
  }
  std::string error = only_loopback();
  return error.empty() ? bring_loopback_up() : error;
}

}  // namespace meshgate::testing

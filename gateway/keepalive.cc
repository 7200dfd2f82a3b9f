#include "gateway/keepalive.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <chrono>

namespace meshgate::gateway {
namespace {

int whole_seconds(std::chrono::milliseconds d) {
  return static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(d).count());
}

}  // namespace

void set_tcp_keepalive(int fd, const config::TcpKeepalive& keepalive) {
  const int on = keepalive.enabled ? 1 : 0;
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  if (!keepalive.enabled) return;
  const int idle = whole_seconds(keepalive.idle);
  const int interval = whole_seconds(keepalive.interval);
  const int probes = static_cast<int>(keepalive.probes);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof probes);
}

}  // namespace meshgate::gateway

// TCP keepalive on a socket: SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL and
// TCP_KEEPCNT from the config, or SO_KEEPALIVE off. On a listening socket
// Linux hands the settings to every socket it accepts. Best effort: a
// failure leaves the socket as it was.
#pragma once

#include "config/config.h"

namespace meshgate::gateway {

void set_tcp_keepalive(int fd, const config::TcpKeepalive& keepalive);

}  // namespace meshgate::gateway

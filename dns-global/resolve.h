// The seam between the DNS front ends (UDP, TCP, gRPC) and the answer logic:
// a front end hands a query over and sends whatever comes back.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "dns-global/responder.h"

namespace meshgate::dns {

// The answer to send, or nothing: send nothing. Called exactly once, on the
// DNS thread, either inside Resolve or later (a forwarded query).
using Done = std::function<void(std::optional<std::vector<uint8_t>> answer)>;
using Resolve =
    std::function<void(std::span<const uint8_t> query, const Client& client, Done done)>;

}  // namespace meshgate::dns

// The one way project code includes Asio. Boost 1.74's awaitable.hpp uses
// std::exchange without including <utility> under C++20, so <utility> comes first.
#pragma once

#include <utility>

#include <boost/asio.hpp>

namespace meshgate {
namespace asio = boost::asio;
}  // namespace meshgate

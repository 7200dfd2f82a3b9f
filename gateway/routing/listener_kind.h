// The TCP listeners the workers accept on: 15443 routes by SNI, 15012 and
// 15017 relay to istiod whatever the SNI.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace meshgate::gateway {

enum class ListenerKind : uint8_t { kPassthrough, kIstiod, kWebhook };

inline constexpr std::size_t kListenerKindCount = 3;

inline constexpr std::array<ListenerKind, kListenerKindCount> kAllListenerKinds{
    ListenerKind::kPassthrough, ListenerKind::kIstiod, ListenerKind::kWebhook};

// The config key under `listeners`, also the metric label and access-log value.
inline constexpr const char* to_string(ListenerKind kind) {
  switch (kind) {
    case ListenerKind::kPassthrough:
      return "passthrough";
    case ListenerKind::kIstiod:
      return "istiod";
    case ListenerKind::kWebhook:
      return "webhook";
  }
  return "unknown";
}

inline constexpr std::size_t index_of(ListenerKind kind) {
  return static_cast<std::size_t>(kind);
}

}  // namespace meshgate::gateway

// The relay's modes (passthrough.splice), for tests that run once per mode.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "config/config.h"

namespace meshgate::testing {

inline std::string splice_mode_name(const ::testing::TestParamInfo<config::SpliceMode>& info) {
  switch (info.param) {
    case config::SpliceMode::kAuto:
      return "Auto";
    case config::SpliceMode::kAlways:
      return "Splice";
    case config::SpliceMode::kNever:
      return "Copy";
  }
  return "Unknown";
}

// Every mode: the default (auto) and the two it chooses between.
inline auto all_splice_modes() {
  return ::testing::Values(config::SpliceMode::kAuto, config::SpliceMode::kAlways,
                           config::SpliceMode::kNever);
}

}  // namespace meshgate::testing

// The large cluster the scale benchmarks share (kube_translate_bench,
// kube_change_bench): Services with EndpointSlices of at most 100 endpoints
// as the EndpointSlice controller cuts them, their Pods, 100 Namespaces, a
// DestinationRule for one service in 10, 1,000 ServiceEntries and 1,000
// WorkloadEntries (one in 10 selected by no service); and the process's
// memory as RSS and as glibc's heap in use.
#pragma once

#include <cstddef>
#include <string_view>

#include "discovery/kubernetes/translate.h"

namespace meshgate::bench {

namespace kube = discovery::kube;

inline constexpr int kServiceEntries = 1000;
inline constexpr int kWorkloadEntries = 1000;

// What the built state should translate to.
struct Expected {
  size_t services = 0;
  size_t endpoints = 0;
  size_t aliases = 0;
  size_t subsets = 0;
  size_t workload_entries_selected = 0;
  size_t pods = 0;
  size_t slices = 0;
};

// Fills `state`; returns what it should translate to.
Expected build_state(int services, int endpoints_per_service, kube::ClusterState& state);

struct Memory {
  double rss = 0;   // bytes
  double heap = 0;  // bytes in use by malloc
};

Memory memory_now();

// A positive decimal count (a flag's value); false, `out` unchanged, otherwise.
bool parse_count(std::string_view text, int& out);

}  // namespace meshgate::bench

// The xDS source's stats as Prometheus families (meshgate_xds_*), for
// /stats/prometheus. Documented in discovery/xds/README.md.
#pragma once

#include "base/prometheus.h"
#include "discovery/xds/xds_source.h"

namespace meshgate::discovery::xds {

void write_xds_metrics(const XdsSourceStats& stats, base::PrometheusWriter& writer);

}  // namespace meshgate::discovery::xds

// The Kubernetes source's stats as Prometheus families (meshgate_kubernetes_*),
// for /stats/prometheus. Documented in discovery/kubernetes/README.md.
#pragma once

#include "base/prometheus.h"
#include "discovery/kubernetes/kube_source.h"

namespace meshgate::discovery::kube {

void write_kubernetes_metrics(const KubernetesStats& stats, base::PrometheusWriter& writer);

}  // namespace meshgate::discovery::kube

// GET /metrics in Prometheus's text format, from a registry and the scrape-time collectors of the
// modules. csopsd serves it on its web listener and on metrics_listen, through the same route
// and the same access check (DESIGN: one HTTP stack), so a METRICS key works on both as
// "Authorization: Bearer <key>" or as HTTP Basic.
#pragma once

#include <prometheus/collectable.h>

#include <memory>
#include <mutex>
#include <vector>

#include "common/http/http_server.h"

namespace csops::metrics {

// What a /metrics route collects; modules add their collectors as they start. Thread-safe.
class Collectables {
 public:
  void Add(std::weak_ptr<prometheus::Collectable> c);
  std::vector<prometheus::MetricFamily> Collect() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::weak_ptr<prometheus::Collectable>> all_;  // guarded by mu_
};

http::Handler MetricsRoute(std::shared_ptr<const Collectables> collectables);

}  // namespace csops::metrics

// GET /metrics on csopsd's own HTTP listener (DESIGN: one HTTP stack), in Prometheus's text
// format, from the same registry and collectables the metrics_listen exposer serves.
#pragma once

#include <prometheus/collectable.h>

#include <memory>
#include <vector>

#include "common/http/http_server.h"

namespace csops::metrics {

http::Handler MetricsRoute(std::vector<std::weak_ptr<prometheus::Collectable>> collectables);

}  // namespace csops::metrics

#include "common/metrics/metrics_route.h"

#include <prometheus/text_serializer.h>

#include <sstream>

namespace csops::metrics {

http::Handler MetricsRoute(std::vector<std::weak_ptr<prometheus::Collectable>> collectables) {
  return [collectables = std::move(collectables)](const http::Request&) {
    std::vector<prometheus::MetricFamily> families;
    for (const auto& weak : collectables)
      if (auto c = weak.lock()) {
        auto more = c->Collect();
        families.insert(families.end(), std::make_move_iterator(more.begin()),
                        std::make_move_iterator(more.end()));
      }
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, families);
    return http::Response{200,
                          "text/plain; version=0.0.4; charset=utf-8",
                          out.str(),
                          {{"Cache-Control", "no-store"}},
                          {}};
  };
}

}  // namespace csops::metrics

#include "common/http/metrics_route.h"

#include <prometheus/text_serializer.h>

#include <sstream>

namespace csops::metrics {

void Collectables::Add(std::weak_ptr<prometheus::Collectable> c) {
  std::lock_guard<std::mutex> lock(mu_);
  all_.push_back(std::move(c));
}

std::vector<prometheus::MetricFamily> Collectables::Collect() const {
  std::vector<std::weak_ptr<prometheus::Collectable>> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    all = all_;
  }
  std::vector<prometheus::MetricFamily> families;
  for (const auto& weak : all)
    if (auto c = weak.lock()) {
      auto more = c->Collect();
      families.insert(families.end(), std::make_move_iterator(more.begin()),
                      std::make_move_iterator(more.end()));
    }
  return families;
}

http::Handler MetricsRoute(std::shared_ptr<const Collectables> collectables) {
  return [collectables = std::move(collectables)](const http::Request&) {
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, collectables->Collect());
    return http::Response{200,
                          "text/plain; version=0.0.4; charset=utf-8",
                          out.str(),
                          {{"Cache-Control", "no-store"}},
                          {}};
  };
}

}  // namespace csops::metrics

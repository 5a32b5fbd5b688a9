#include "services/queue/domain/visit_report.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

namespace csops::queue {
namespace {

using std::chrono::minutes;

bool In(const std::optional<Instant>& t, Instant from, Instant to) {
  return t && *t >= from && *t < to;
}

// Nearest-rank percentile of sorted values.
Duration Rank(const std::vector<std::int64_t>& sorted, double p) {
  if (sorted.empty()) return Duration(0);
  auto k = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return Duration(sorted[std::max<std::size_t>(k, 1) - 1]);
}

struct Acc {
  ServiceVisits v;
  std::vector<std::int64_t> waits;
};

void AddWait(Acc& a, Duration wait, Duration target) {
  ++a.v.called;
  if (wait <= target) ++a.v.called_within_target;
  a.waits.push_back(wait.count());
  const auto& bounds = WaitBucketBounds();
  std::size_t i = 0;
  while (i < bounds.size() && wait > bounds[i]) ++i;
  ++a.v.wait_buckets[i];
}

void Finish(Acc& a) {
  std::sort(a.waits.begin(), a.waits.end());
  a.v.median_wait = Rank(a.waits, 0.5);
  a.v.p90_wait = Rank(a.waits, 0.9);
  if (!a.waits.empty())
    a.v.mean_wait_ms =
        static_cast<double>(std::accumulate(a.waits.begin(), a.waits.end(), std::int64_t{0})) /
        static_cast<double>(a.waits.size());
}

}  // namespace

const std::vector<Duration>& WaitBucketBounds() {
  static const std::vector<Duration> bounds = {minutes(5),  minutes(10), minutes(15), minutes(20),
                                               minutes(30), minutes(45), minutes(60)};
  return bounds;
}

double ServiceVisits::MeanRating() const {
  std::int64_t n = 0, sum = 0;
  for (int i = 0; i < 5; ++i) {
    n += ratings[i];
    sum += ratings[i] * (i + 1);
  }
  return n ? static_cast<double>(sum) / static_cast<double>(n) : 0;
}

double ServiceVisits::ShareWithinTarget() const {
  return called ? static_cast<double>(called_within_target) / static_cast<double>(called) : 0;
}

VisitReport BuildVisitReport(
    const std::vector<VisitRow>& rows, Instant from, Instant to,
    const std::function<const ServiceModel*(const std::string&, const std::string&)>& find,
    const std::vector<std::pair<std::string, std::string>>& services) {
  std::map<std::string, Acc> by_code;
  Acc total;
  total.v.wait_buckets.assign(WaitBucketBounds().size() + 1, 0);
  auto acc = [&](const std::string& branch, const std::string& code) -> Acc& {
    auto [it, fresh] = by_code.try_emplace(code);
    if (fresh) {
      it->second.v.code = code;
      it->second.v.wait_buckets.assign(WaitBucketBounds().size() + 1, 0);
    }
    if (it->second.v.name_zh_tw.empty()) {
      if (const ServiceModel* m = find(branch, code)) {
        it->second.v.name_zh_tw = m->name_zh_tw;
        it->second.v.name_en = m->name_en;
        it->second.v.target_wait = m->target_wait;
      }
    }
    return it->second;
  };
  for (const auto& [branch, code] : services) acc(branch, code);
  for (const VisitRow& r : rows) {
    if (r.issued_at >= from && r.issued_at < to) {
      ++acc(r.branch_id, r.origin_service).v.issued;
      ++total.v.issued;
      if (r.state == TicketState::kExpired) {
        ++acc(r.branch_id, r.service_code).v.expired;
        ++total.v.expired;
      }
    }
    if (In(r.first_called_at, from, to)) {
      const ServiceModel* m = find(r.branch_id, r.origin_service);
      const Duration target = m ? m->target_wait : Duration(0);
      const Duration wait = *r.first_called_at - r.issued_at;
      AddWait(acc(r.branch_id, r.origin_service), wait, target);
      AddWait(total, wait, target);
    }
    if (!In(r.finished_at, from, to)) continue;
    Acc& a = acc(r.branch_id, r.service_code);
    switch (r.state) {
      case TicketState::kDone:
        ++a.v.completed;
        ++total.v.completed;
        if (r.rating >= 1 && r.rating <= 5) {
          ++a.v.ratings[r.rating - 1];
          ++total.v.ratings[r.rating - 1];
        }
        break;
      case TicketState::kNoShow:
        ++a.v.no_shows;
        ++total.v.no_shows;
        break;
      case TicketState::kCancelled:
        ++a.v.cancelled;
        ++total.v.cancelled;
        break;
      default:
        break;
    }
  }
  VisitReport out;
  for (auto& [code, a] : by_code) {
    Finish(a);
    out.services.push_back(std::move(a.v));
  }
  Finish(total);
  out.total = std::move(total.v);
  return out;
}

}  // namespace csops::queue

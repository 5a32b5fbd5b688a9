// Visit statistics for the self-assessment report: pure aggregation over ticket rows.
//
// Contract (what each count means, so that the report agrees with the metrics):
// * issued: tickets issued in [from, to), by the service they were issued for;
// * called / waits: tickets first called in [from, to), by the service they were issued for,
//   wait = first call - issue; within target when wait <= the service's target wait;
// * completed, no_shows, cancelled and ratings: tickets in that state whose finished_at lies in
//   [from, to), by their service at that time;
// * expired: tickets issued in [from, to) that their business day's reset expired.
// Percentiles are nearest-rank. Services are reported in code order; services without any
// ticket in the period are still listed (with zeros) when `services` names them.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/base/clock.h"
#include "services/queue/domain/branch.h"
#include "services/queue/domain/types.h"

namespace csops::queue {

struct VisitRow {
  std::string branch_id;
  std::string origin_service;  // at issue
  std::string service_code;    // now (after any transfer)
  TicketState state = TicketState::kWaiting;
  Instant issued_at;
  std::optional<Instant> first_called_at;
  std::optional<Instant> finished_at;
  int rating = 0;  // 0 = none, else 1-5
};

// Upper bounds of the wait buckets; a last, unbounded bucket follows.
const std::vector<Duration>& WaitBucketBounds();

struct ServiceVisits {
  std::string code, name_zh_tw, name_en;
  Duration target_wait{0};
  std::int64_t issued = 0, called = 0, called_within_target = 0;
  Duration median_wait{0}, p90_wait{0};
  double mean_wait_ms = 0;
  std::vector<std::int64_t> wait_buckets;  // WaitBucketBounds().size() + 1 entries
  std::int64_t completed = 0, no_shows = 0, cancelled = 0, expired = 0;
  std::array<std::int64_t, 5> ratings{};  // index 0 = score 1
  double MeanRating() const;
  double ShareWithinTarget() const;
};

struct VisitReport {
  std::vector<ServiceVisits> services;
  ServiceVisits total;  // code "" and every count summed; percentiles over all waits
};

// `find` returns the service model of a branch (nullptr when not configured); `services` lists
// (branch, service) pairs to report even when idle.
VisitReport BuildVisitReport(
    const std::vector<VisitRow>& rows, Instant from, Instant to,
    const std::function<const ServiceModel*(const std::string& branch, const std::string& code)>&
        find,
    const std::vector<std::pair<std::string, std::string>>& services);

}  // namespace csops::queue

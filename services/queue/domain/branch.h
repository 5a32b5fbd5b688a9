// A branch (service office) as the queue sees it: services with number ranges, counters with
// their ordered services, the business-day boundary and the calling rules. Built once from the
// config at start-up; immutable afterwards and safe to share across threads.
#pragma once

#include <absl/time/time.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/base/clock.h"
#include "common/base/status.h"
#include "services/queue/domain/types.h"

namespace csops::queue {

struct ServiceModel {
  std::string code;  // "A"
  std::string name_zh_tw;
  std::string name_en;
  int first_number = 1;
  int last_number = 999;
  int width = 3;  // digits of last_number
  Duration target_wait{std::chrono::minutes(10)};
  Duration default_service_time{std::chrono::minutes(5)};
};

struct CounterModel {
  std::string id;
  std::string name;
  std::vector<std::string> services;  // configured order
};

class BranchModel {
 public:
  std::string id;
  std::string name_zh_tw;
  std::string name_en;
  std::string time_zone_name = "Asia/Taipei";
  absl::TimeZone zone;
  int day_start_minute = 0;
  SelectionPolicy policy = SelectionPolicy::kStrictOrder;
  int priority_ratio = 2;
  int max_calls = 3;
  int near_turn_ahead = 3;
  std::vector<ServiceModel> services;
  std::vector<CounterModel> counters;

  const ServiceModel* FindService(std::string_view code) const;
  const CounterModel* FindCounter(std::string_view id) const;
  // The business day an instant belongs to: the local date of (t - day_start).
  absl::CivilDay BusinessDay(Instant t) const;
  // First instant of the business day after the one `t` belongs to.
  Instant NextDayStart(Instant t) const;
  // "A023": code + number zero-padded to the service's width.
  std::string FormatNumber(const ServiceModel& service, int number) const;
};

// Splits "A023" into {"A", 23}; nullopt when malformed.
std::optional<std::pair<std::string, int>> ParseTicketNumber(std::string_view text);

}  // namespace csops::queue

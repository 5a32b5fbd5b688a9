#include "services/queue/domain/branch.h"

#include <set>

#include "common/base/civil_date.h"

namespace csops::queue {

const ServiceModel* BranchModel::FindService(std::string_view code) const {
  for (const auto& s : services)
    if (s.code == code) return &s;
  return nullptr;
}

const CounterModel* BranchModel::FindCounter(std::string_view counter_id) const {
  for (const auto& c : counters)
    if (c.id == counter_id) return &c;
  return nullptr;
}

absl::CivilDay BranchModel::BusinessDay(Instant t) const {
  absl::Time at = absl::FromUnixMillis(ToUnixMillis(t));
  absl::CivilSecond local = absl::ToCivilSecond(at, zone);
  return absl::CivilDay(local - day_start_minute * 60);
}

Instant BranchModel::NextDayStart(Instant t) const {
  absl::CivilDay next = BusinessDay(t) + 1;
  absl::CivilSecond start = absl::CivilSecond(next) + day_start_minute * 60;
  absl::TimeZone::TimeInfo info = zone.At(start);
  absl::Time when = info.kind == absl::TimeZone::TimeInfo::SKIPPED ? info.trans : info.pre;
  return FromUnixMillis(absl::ToUnixMillis(when));
}

std::string BranchModel::FormatNumber(const ServiceModel& service, int number) const {
  std::string digits = std::to_string(number);
  if (static_cast<int>(digits.size()) < service.width)
    digits.insert(0, service.width - digits.size(), '0');
  return service.code + digits;
}

std::optional<std::pair<std::string, int>> ParseTicketNumber(std::string_view text) {
  if (text.size() < 2 || text.size() > 8 || text[0] < 'A' || text[0] > 'Z') return std::nullopt;
  int n = 0;
  for (char c : text.substr(1)) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return std::make_pair(std::string(text.substr(0, 1)), n);
}

}  // namespace csops::queue

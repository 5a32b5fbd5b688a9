#include "common/base/business_calendar.h"

#include <algorithm>
#include <sstream>

namespace csops {
namespace {

// Safety bound for searches: no calendar closes for ten years in a row.
constexpr int kMaxSearchDays = 3660;

int WeekdayIndex(absl::CivilDay day) {
  switch (absl::GetWeekday(day)) {
    case absl::Weekday::monday:
      return 0;
    case absl::Weekday::tuesday:
      return 1;
    case absl::Weekday::wednesday:
      return 2;
    case absl::Weekday::thursday:
      return 3;
    case absl::Weekday::friday:
      return 4;
    case absl::Weekday::saturday:
      return 5;
    case absl::Weekday::sunday:
      return 6;
  }
  return 0;
}

Status CheckRanges(const std::vector<MinuteRange>& ranges, const std::string& where) {
  int prev_end = -1;
  for (const MinuteRange& r : ranges) {
    if (r.start_minute < 0 || r.start_minute > 1439 || r.end_minute <= r.start_minute ||
        r.end_minute > 1440)
      return Status::InvalidArgument(where + ": range must satisfy 00:00 <= start < end <= 24:00");
    if (r.start_minute < prev_end)
      return Status::InvalidArgument(where + ": ranges must be ascending and must not overlap");
    prev_end = r.end_minute;
  }
  return Status();
}

}  // namespace

Result<BusinessCalendar> BusinessCalendar::Create(CalendarSpec spec) {
  absl::TimeZone zone;
  if (spec.time_zone.empty() || !absl::LoadTimeZone(spec.time_zone, &zone))
    return Status::InvalidArgument("time_zone: unknown IANA time zone '" + spec.time_zone + "'");
  bool any_working = false;
  for (int i = 0; i < 7; ++i) {
    CSOPS_RETURN_IF_ERROR(CheckRanges(spec.week[i], "week day " + std::to_string(i + 1)));
    any_working = any_working || !spec.week[i].empty();
  }
  if (!any_working) return Status::InvalidArgument("week: no weekday has working hours");
  for (const auto& [day, ranges] : spec.exceptions) {
    std::ostringstream where;
    where << "exception " << day;
    CSOPS_RETURN_IF_ERROR(CheckRanges(ranges, where.str()));
  }
  if (spec.covers_until < spec.covers_from)
    return Status::InvalidArgument("covers_until: before covers_from");
  return BusinessCalendar(std::move(spec), zone);
}

const std::vector<MinuteRange>& BusinessCalendar::RangesOf(absl::CivilDay day) const {
  auto it = spec_.exceptions.find(day);
  if (it != spec_.exceptions.end()) return it->second;
  return spec_.week[WeekdayIndex(day)];
}

std::string BusinessCalendar::ExceptionName(absl::CivilDay day) const {
  auto it = spec_.exception_names.find(day);
  return it == spec_.exception_names.end() ? std::string() : it->second;
}

Instant BusinessCalendar::LocalToInstant(absl::CivilSecond local) const {
  absl::TimeZone::TimeInfo info = zone_.At(local);
  absl::Time t = info.kind == absl::TimeZone::TimeInfo::SKIPPED ? info.trans : info.pre;
  return FromUnixMillis(absl::ToUnixMillis(t));
}

absl::CivilDay BusinessCalendar::LocalDay(Instant t) const {
  return absl::ToCivilDay(absl::FromUnixMillis(ToUnixMillis(t)), zone_);
}

bool BusinessCalendar::IsWorkingDay(absl::CivilDay day) const { return !RangesOf(day).empty(); }

std::vector<Interval> BusinessCalendar::WorkingIntervals(absl::CivilDay day) const {
  std::vector<Interval> out;
  for (const MinuteRange& r : RangesOf(day)) {
    absl::CivilSecond midnight(day);
    Instant begin = LocalToInstant(midnight + r.start_minute * 60);
    Instant end = LocalToInstant(midnight + r.end_minute * 60);
    if (begin < end) out.push_back({begin, end});
  }
  return out;
}

bool BusinessCalendar::IsWorkingTime(Instant t) const {
  for (const Interval& i : WorkingIntervals(LocalDay(t)))
    if (i.begin <= t && t < i.end) return true;
  return false;
}

Instant BusinessCalendar::NextWorkingInstant(Instant t) const {
  absl::CivilDay day = LocalDay(t);
  for (int n = 0; n < kMaxSearchDays; ++n, ++day) {
    for (const Interval& i : WorkingIntervals(day)) {
      if (t < i.end) return std::max(t, i.begin);
    }
  }
  return t;  // unreachable for a valid calendar: Create() demands a working weekday
}

Result<Instant> BusinessCalendar::AddBusinessTime(Instant start, Duration amount) const {
  if (amount < Duration::zero()) return Status::InvalidArgument("amount: must not be negative");
  if (amount == Duration::zero()) return start;
  Duration left = amount;
  absl::CivilDay day = LocalDay(start);
  for (int n = 0; n < kMaxSearchDays; ++n, ++day) {
    for (const Interval& i : WorkingIntervals(day)) {
      if (i.end <= start) continue;
      Instant from = std::max(i.begin, start);
      Duration avail = i.end - from;
      if (left <= avail) return from + left;
      left -= avail;
    }
  }
  return Status::OutOfRange("amount: reaches more than ten years past the start");
}

Duration BusinessCalendar::BusinessTimeBetween(Instant from, Instant to) const {
  if (to < from) return -BusinessTimeBetween(to, from);
  Duration total = Duration::zero();
  for (absl::CivilDay day = LocalDay(from), last = LocalDay(to); day <= last; ++day) {
    for (const Interval& i : WorkingIntervals(day)) {
      Instant b = std::max(i.begin, from), e = std::min(i.end, to);
      if (b < e) total += e - b;
    }
  }
  return total;
}

Result<Instant> BusinessCalendar::EndOfNthWorkingDayAfter(absl::CivilDay day, int n) const {
  if (n < 1) return Status::InvalidArgument("n: must be at least 1");
  int found = 0;
  absl::CivilDay d = day;
  for (int k = 0; k < kMaxSearchDays; ++k) {
    ++d;
    auto intervals = WorkingIntervals(d);
    if (intervals.empty()) continue;
    if (++found == n) return intervals.back().end;
  }
  return Status::OutOfRange("n: reaches more than ten years past the date");
}

}  // namespace csops

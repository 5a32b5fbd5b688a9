// Business time on an office calendar: weekly working hours plus dated exceptions, in one IANA
// time zone. SLA timers are counted with it.
//
// All answers are exact to the millisecond and correct across DST transitions: each day's
// working ranges are turned into absolute UTC intervals through the zone's rules, so a range
// that spans a spring-forward gap is one hour shorter, and one spanning a fall-back overlap one
// hour longer. A wall time inside a gap maps to the instant the gap ends; a repeated wall time
// maps to its first occurrence. Ranges never cross midnight ("24:00" may end a day).
// Past covers_until() only the weekly pattern applies (no holidays are known there).
// Thread safety: immutable after Create(); safe to share across threads.
#pragma once

#include <absl/time/civil_time.h>
#include <absl/time/time.h>

#include <array>
#include <map>
#include <string>
#include <vector>

#include "common/base/clock.h"
#include "common/base/status.h"

namespace csops {

// A local wall-clock range [start_minute, end_minute) within a day; minutes since midnight.
struct MinuteRange {
  int start_minute;  // 0..1439
  int end_minute;    // start_minute+1..1440
};

struct CalendarSpec {
  std::string time_zone = "Asia/Taipei";
  // Index 0 = Monday ... 6 = Sunday. An empty day is closed.
  std::array<std::vector<MinuteRange>, 7> week;
  // Dated overrides: an empty vector closes the day, otherwise it replaces the day's hours.
  std::map<absl::CivilDay, std::vector<MinuteRange>> exceptions;
  // Names of the exceptions, for staff display.
  std::map<absl::CivilDay, std::string> exception_names;
  absl::CivilDay covers_from;
  absl::CivilDay covers_until;
};

// An absolute half-open interval [begin, end).
struct Interval {
  Instant begin;
  Instant end;
};

class BusinessCalendar {
 public:
  // Validates the spec (ranges ascending and non-overlapping, at least one working weekday, a
  // known time zone) and builds the calendar.
  static Result<BusinessCalendar> Create(CalendarSpec spec);

  // True if `t` falls inside a working range of its local day.
  bool IsWorkingTime(Instant t) const;
  // True if the local date has at least one working range.
  bool IsWorkingDay(absl::CivilDay day) const;
  // The working ranges of a local date as absolute intervals, in order.
  std::vector<Interval> WorkingIntervals(absl::CivilDay day) const;

  // The instant reached after `amount` of working time counted from `start`. Counting from
  // outside working hours starts at the next working range. Adding zero returns `start`.
  // If the amount ends exactly at the close of a range, that close is returned (17:30, not
  // 08:30 the next working day). Fails with kInvalidArgument for a negative amount.
  Result<Instant> AddBusinessTime(Instant start, Duration amount) const;

  // Working time between two instants; negative when `to` is before `from`.
  Duration BusinessTimeBetween(Instant from, Instant to) const;

  // The close of the n-th working day strictly after `day` (n >= 1), e.g. the deadline of a
  // "3 working days" promise made on `day`.
  Result<Instant> EndOfNthWorkingDayAfter(absl::CivilDay day, int n) const;

  // The first instant at or after `t` that is working time.
  Instant NextWorkingInstant(Instant t) const;

  absl::CivilDay LocalDay(Instant t) const;
  // The first instant of a local date (midnight, or the end of a DST gap at midnight).
  Instant StartOfDay(absl::CivilDay day) const { return LocalToInstant(absl::CivilSecond(day)); }
  const std::string& time_zone_name() const { return spec_.time_zone; }
  absl::CivilDay covers_from() const { return spec_.covers_from; }
  absl::CivilDay covers_until() const { return spec_.covers_until; }
  // Name of the holiday or make-up day on `day`, or "" if it follows the weekly pattern.
  std::string ExceptionName(absl::CivilDay day) const;

 private:
  BusinessCalendar(CalendarSpec spec, absl::TimeZone zone) : spec_(std::move(spec)), zone_(zone) {}
  const std::vector<MinuteRange>& RangesOf(absl::CivilDay day) const;
  Instant LocalToInstant(absl::CivilSecond local) const;

  CalendarSpec spec_;
  absl::TimeZone zone_;
};

}  // namespace csops

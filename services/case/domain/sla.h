// SLA targets of a case, computed exactly from the case's acceptance instant and its pauses.
//
// Rules (issue 4, "what exactly right means"):
//  - A target of N business minutes is due when N minutes of the calendar's working time have
//    passed since acceptance; a target of N working days is due at the close of business of the
//    N-th working day after the acceptance day. On the 24x7 calendar ("always") minutes are
//    wall-clock minutes.
//  - The target's length L is the working time from acceptance to that first due instant.
//  - A pause (e.g. waiting for the customer's documents) stops the clock: time inside a pause
//    does not count. So the due instant is where L of unpaused working time has elapsed, which
//    is the unpaused due extended by the working time spent paused before it.
//  - Warning p% falls where p% of L of unpaused working time has elapsed.
//  - While a pause is open, instants that lie after the pause's start are unknown (nullopt):
//    they depend on when the pause ends.
// Pure functions; no clock, no I/O. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/base/business_calendar.h"
#include "common/base/clock.h"
#include "common/base/status.h"

namespace csops::cases {

// Working time on an office calendar, or wall-clock time on the 24x7 one.
class SlaCalendar {
 public:
  // `calendar` null means 24x7 ("always").
  explicit SlaCalendar(const BusinessCalendar* calendar) : calendar_(calendar) {}
  Result<Instant> Add(Instant from, Duration amount) const;
  Duration Between(Instant from, Instant to) const;
  // REQUIRES: an office calendar (kFailedPrecondition on 24x7).
  Result<Instant> EndOfNthWorkingDayAfter(Instant accepted, int n) const;
  bool always() const { return calendar_ == nullptr; }

 private:
  const BusinessCalendar* calendar_;
};

struct SlaLength {
  enum class Unit { kBusinessMinutes, kWorkingDays };
  Unit unit = Unit::kBusinessMinutes;
  int amount = 0;
};

// A half-open pause [begin, end); end is nullopt while the pause lasts.
struct Pause {
  Instant begin;
  std::optional<Instant> end;
};

struct SlaSchedule {
  Duration length{0};                            // L, in working (or wall) time
  Duration paused{0};                            // working time inside closed pauses so far
  std::optional<Instant> due;                    // nullopt while a pause before it is open
  std::vector<std::optional<Instant>> warnings;  // one per threshold, same order
};

// REQUIRES: pauses sorted by begin, not overlapping, none before `accepted`.
Result<SlaSchedule> ComputeSchedule(const SlaCalendar& cal, Instant accepted, SlaLength length,
                                    const std::vector<int>& warn_percents,
                                    const std::vector<Pause>& pauses);

// The instant at which `amount` of unpaused working time has elapsed since `start`, or nullopt
// if an open pause comes first.
Result<std::optional<Instant>> InstantAfterActiveTime(const SlaCalendar& cal, Instant start,
                                                      Duration amount,
                                                      const std::vector<Pause>& pauses);

// Unpaused working time between `start` and `until`.
Duration ActiveTimeBetween(const SlaCalendar& cal, Instant start, Instant until,
                           const std::vector<Pause>& pauses);

enum class SlaState { kOnTrack, kWarning, kBreached, kPaused, kMet, kMissed };
const char* SlaStateName(SlaState s);
std::optional<SlaState> ParseSlaState(std::string_view name);

// The state at `now`; `stopped_at` is when the stopping event happened, if it has.
SlaState StateAt(const SlaSchedule& s, Instant now, bool paused_now,
                 std::optional<Instant> stopped_at);

}  // namespace csops::cases

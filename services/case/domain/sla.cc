#include "services/case/domain/sla.h"

#include <algorithm>

namespace csops::cases {

Result<Instant> SlaCalendar::Add(Instant from, Duration amount) const {
  if (calendar_) return calendar_->AddBusinessTime(from, amount);
  if (amount < Duration::zero()) return Status::InvalidArgument("amount: must not be negative");
  return from + amount;
}

Duration SlaCalendar::Between(Instant from, Instant to) const {
  if (calendar_) return calendar_->BusinessTimeBetween(from, to);
  return to - from;
}

Result<Instant> SlaCalendar::EndOfNthWorkingDayAfter(Instant accepted, int n) const {
  if (!calendar_)
    return Status::FailedPrecondition("a working-day target needs an office calendar, not 24x7");
  return calendar_->EndOfNthWorkingDayAfter(calendar_->LocalDay(accepted), n);
}

Result<std::optional<Instant>> InstantAfterActiveTime(const SlaCalendar& cal, Instant start,
                                                      Duration amount,
                                                      const std::vector<Pause>& pauses) {
  Duration remaining = amount;
  Instant cursor = start;
  for (const Pause& p : pauses) {
    if (p.end && *p.end <= cursor) continue;
    if (p.begin > cursor) {
      const Duration span = cal.Between(cursor, p.begin);
      if (remaining <= span) {
        auto at = cal.Add(cursor, remaining);
        if (!at.ok()) return at.status();
        return std::optional<Instant>(*at);
      }
      remaining -= span;
    }
    if (!p.end) return std::optional<Instant>();  // open pause: not known yet
    cursor = std::max(cursor, *p.end);
  }
  auto at = cal.Add(cursor, remaining);
  if (!at.ok()) return at.status();
  return std::optional<Instant>(*at);
}

Duration ActiveTimeBetween(const SlaCalendar& cal, Instant start, Instant until,
                           const std::vector<Pause>& pauses) {
  if (until <= start) return Duration::zero();
  Duration total = cal.Between(start, until);
  for (const Pause& p : pauses) {
    const Instant b = std::max(p.begin, start);
    const Instant e = std::min(p.end.value_or(until), until);
    if (b < e) total -= cal.Between(b, e);
  }
  return total;
}

Result<SlaSchedule> ComputeSchedule(const SlaCalendar& cal, Instant accepted, SlaLength length,
                                    const std::vector<int>& warn_percents,
                                    const std::vector<Pause>& pauses) {
  if (length.amount <= 0) return Status::InvalidArgument("length: must be positive");
  Result<Instant> unpaused_due = length.unit == SlaLength::Unit::kWorkingDays
                                     ? cal.EndOfNthWorkingDayAfter(accepted, length.amount)
                                     : cal.Add(accepted, std::chrono::minutes(length.amount));
  if (!unpaused_due.ok()) return unpaused_due.status();
  SlaSchedule s;
  s.length = cal.Between(accepted, *unpaused_due);
  for (const Pause& p : pauses)
    if (p.end) s.paused += cal.Between(std::max(p.begin, accepted), *p.end);
  auto due = InstantAfterActiveTime(cal, accepted, s.length, pauses);
  if (!due.ok()) return due.status();
  s.due = *due;
  for (int percent : warn_percents) {
    if (percent <= 0 || percent >= 100)
      return Status::InvalidArgument("warn_percents: each must be between 1 and 99");
    const Duration at_percent(s.length.count() * percent / 100);
    auto w = InstantAfterActiveTime(cal, accepted, at_percent, pauses);
    if (!w.ok()) return w.status();
    s.warnings.push_back(*w);
  }
  return s;
}

const char* SlaStateName(SlaState s) {
  switch (s) {
    case SlaState::kOnTrack:
      return "on_track";
    case SlaState::kWarning:
      return "warning";
    case SlaState::kBreached:
      return "breached";
    case SlaState::kPaused:
      return "paused";
    case SlaState::kMet:
      return "met";
    case SlaState::kMissed:
      return "missed";
  }
  return "unknown";
}

std::optional<SlaState> ParseSlaState(std::string_view name) {
  for (SlaState s : {SlaState::kOnTrack, SlaState::kWarning, SlaState::kBreached, SlaState::kPaused,
                     SlaState::kMet, SlaState::kMissed})
    if (name == SlaStateName(s)) return s;
  return std::nullopt;
}

SlaState StateAt(const SlaSchedule& s, Instant now, bool paused_now,
                 std::optional<Instant> stopped_at) {
  if (stopped_at) return s.due && *stopped_at <= *s.due ? SlaState::kMet : SlaState::kMissed;
  if (s.due && now >= *s.due) return SlaState::kBreached;
  if (paused_now) return SlaState::kPaused;
  for (const auto& w : s.warnings)
    if (w && now >= *w) return SlaState::kWarning;
  return SlaState::kOnTrack;
}

}  // namespace csops::cases

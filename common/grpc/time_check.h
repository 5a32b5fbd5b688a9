// Instants and dates in requests. Every google.protobuf.Timestamp and every "YYYY-MM-DD" string
// a request carries is checked here, by every adapter, before it becomes an Instant or a day:
// protobuf's own Timestamp rules (nanos 0-999,999,999, seconds within years 0001-9999), then the
// window where an instant of an office's business means something.
// Thread safety: pure functions.
#pragma once

#include <absl/time/civil_time.h>
#include <google/protobuf/timestamp.pb.h>

#include <string>
#include <string_view>

#include "common/base/clock.h"
#include "common/base/status.h"

namespace csops {

// [earliest, latest).
struct InstantWindow {
  Instant earliest;
  Instant latest;
};

// 2000-01-01T00:00:00Z to 2100-01-01T00:00:00Z (exclusive): report periods, due instants,
// send_after. Acceptance numbers carry a two-digit year in the same range.
InstantWindow BusinessWindow();

// The instant `t` names (millisecond precision), or kInvalidArgument naming the field:
//   "due_before.nanos: -1 is outside 0-999999999"
//   "send_after.seconds: -10000000000000 is outside the Timestamp range (years 0001-9999)"
//   "from: 1990-01-01T00:00:00.000Z is outside 2000-01-01T00:00:00.000Z to
//   2100-01-01T00:00:00.000Z"
Result<Instant> CheckTimestamp(std::string_view field, const google::protobuf::Timestamp& t,
                               InstantWindow window = BusinessWindow());

// A strict "YYYY-MM-DD" (ASCII digits only, a real date) in years 2000-2099, or
// kInvalidArgument naming the field, e.g. "new_expected_date: '2027- 1- 5' is not a date
// YYYY-MM-DD".
Result<absl::CivilDay> CheckDate(std::string_view field, const std::string& text);

}  // namespace csops

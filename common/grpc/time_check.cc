#include "common/grpc/time_check.h"

#include <absl/time/time.h>

#include "common/base/civil_date.h"
#include "common/base/text.h"

namespace csops {
namespace {

// google.protobuf.Timestamp's range: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z.
constexpr std::int64_t kMinSeconds = -62135596800;
constexpr std::int64_t kMaxSeconds = 253402300799;

Instant Utc(int year) {
  return FromUnixMillis(
      absl::ToUnixMillis(absl::FromCivil(absl::CivilDay(year, 1, 1), absl::UTCTimeZone())));
}

}  // namespace

InstantWindow BusinessWindow() { return {Utc(2000), Utc(2100)}; }

Result<Instant> CheckTimestamp(std::string_view field, const google::protobuf::Timestamp& t,
                               InstantWindow window) {
  const std::string f(field);
  if (t.nanos() < 0 || t.nanos() > 999'999'999)
    return Status::InvalidArgument(f + ".nanos: " + std::to_string(t.nanos()) +
                                   " is outside 0-999999999");
  if (t.seconds() < kMinSeconds || t.seconds() > kMaxSeconds)
    return Status::InvalidArgument(f + ".seconds: " + std::to_string(t.seconds()) +
                                   " is outside the Timestamp range (years 0001-9999)");
  const Instant at = FromUnixMillis(t.seconds() * 1000 + t.nanos() / 1'000'000);
  if (at < window.earliest || at >= window.latest)
    return Status::InvalidArgument(f + ": " + FormatRfc3339Utc(at) + " is outside " +
                                   FormatRfc3339Utc(window.earliest) + " to " +
                                   FormatRfc3339Utc(window.latest));
  return at;
}

Result<absl::CivilDay> CheckDate(std::string_view field, const std::string& text) {
  const std::string f(field);
  auto day = ParseIsoDate(text);
  if (!day.ok()) return Status::InvalidArgument(f + ": " + day.status().message());
  if (day->year() < 2000 || day->year() > 2099)
    return Status::InvalidArgument(f + ": " + Quote(text) + " is outside 2000-01-01 to 2099-12-31");
  return *day;
}

}  // namespace csops

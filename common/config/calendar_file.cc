#include "common/config/calendar_file.h"

#include <cstdio>
#include <set>

#include "common/base/text.h"
#include "common/config/textproto_file.h"
#include "csops/config/v1/calendar.pb.h"

namespace csops {
namespace {

using config::v1::CalendarFile;

Result<std::vector<MinuteRange>> ToRanges(
    const google::protobuf::RepeatedPtrField<config::v1::HoursRange>& hours,
    const TextProtoFile& file, const std::string& field) {
  std::vector<MinuteRange> out;
  for (int i = 0; i < hours.size(); ++i) {
    std::string at = field + "[" + std::to_string(i) + "]";
    auto start = ParseHhMm(hours[i].start());
    if (!start.ok() || *start >= 1440)
      return file.Error(at + ".start",
                        "'" + hours[i].start() + "' is not a time HH:MM (00:00-23:59)");
    auto end = ParseHhMm(hours[i].end());
    if (!end.ok()) return file.Error(at + ".end", "'" + hours[i].end() + "' is not a time HH:MM");
    if (*end <= *start) return file.Error(at + ".end", "must be later than start");
    if (!out.empty() && *start < out.back().end_minute)
      return file.Error(at + ".start", "ranges must be ascending and must not overlap");
    out.push_back({*start, *end});
  }
  return out;
}

}  // namespace

Result<BusinessCalendar> LoadCalendarFile(const std::string& path) {
  CalendarFile proto;
  auto file = TextProtoFile::Parse(path, &proto);
  if (!file.ok()) return file.status();

  CalendarSpec spec;
  spec.time_zone = proto.time_zone();
  absl::TimeZone probe;
  if (spec.time_zone.empty() || !absl::LoadTimeZone(spec.time_zone, &probe))
    return file->Error("time_zone", "'" + spec.time_zone + "' is not a known IANA time zone");
  auto from = ParseIsoDate(proto.covers_from());
  if (!from.ok()) return file->Error("covers_from", from.status().message());
  auto until = ParseIsoDate(proto.covers_until());
  if (!until.ok()) return file->Error("covers_until", until.status().message());
  if (*until < *from) return file->Error("covers_until", "is before covers_from");
  spec.covers_from = *from;
  spec.covers_until = *until;

  std::set<int> seen_days;
  for (int i = 0; i < proto.week_size(); ++i) {
    const auto& wd = proto.week(i);
    std::string at = "week[" + std::to_string(i) + "]";
    if (wd.day() == config::v1::WEEKDAY_UNSPECIFIED) return file->Error(at + ".day", "is required");
    if (!seen_days.insert(wd.day()).second) return file->Error(at + ".day", "weekday listed twice");
    auto ranges = ToRanges(wd.hours(), *file, at + ".hours");
    if (!ranges.ok()) return ranges.status();
    spec.week[wd.day() - 1] = std::move(*ranges);
  }
  for (int i = 0; i < proto.exceptions_size(); ++i) {
    const auto& ex = proto.exceptions(i);
    std::string at = "exceptions[" + std::to_string(i) + "]";
    auto day = ParseIsoDate(ex.date());
    if (!day.ok()) return file->Error(at + ".date", day.status().message());
    if (*day < spec.covers_from || *day > spec.covers_until)
      return file->Error(at + ".date", "'" + ex.date() + "' is outside covers_from..covers_until");
    if (spec.exceptions.count(*day))
      return file->Error(at + ".date", "'" + ex.date() + "' listed twice");
    std::vector<MinuteRange> ranges;
    switch (ex.kind()) {
      case config::v1::HOLIDAY:
        if (ex.hours_size() > 0) return file->Error(at + ".hours", "a HOLIDAY has no hours");
        break;
      case config::v1::WORKDAY: {
        if (ex.hours_size() == 0) return file->Error(at + ".hours", "a WORKDAY needs its hours");
        auto r = ToRanges(ex.hours(), *file, at + ".hours");
        if (!r.ok()) return r.status();
        ranges = std::move(*r);
        break;
      }
      default:
        return file->Error(at + ".kind", "is required (HOLIDAY or WORKDAY)");
    }
    spec.exceptions[*day] = std::move(ranges);
    spec.exception_names[*day] = ex.name();
  }
  auto cal = BusinessCalendar::Create(std::move(spec));
  if (!cal.ok()) return file->Error("week", cal.status().message());
  return cal;
}

}  // namespace csops

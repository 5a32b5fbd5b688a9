// csopsctl calendar import: the yearly calendar update, offline (no server is called).
//
//   csopsctl calendar import [--into=CALENDAR] [--out=FILE] [--time-zone=ZONE]
//                            [--hours=HH:MM-HH:MM[,HH:MM-HH:MM]] [--weekdays=MON,...] YEAR.csv...
//
// Reads the DGPA's yearly office calendars (common/config/dgpa_import.h), merges them into the
// existing calendar file (--into; its weekly hours and other years are kept) and writes the
// merged file to --out (replaced atomically) or stdout. --hours/--weekdays set the weekly pattern
// instead (required without --into). The result is loaded back as csopsd would load it before
// anything is written. A summary goes to stderr. Exit 0, 1 for a refused input, 2 for usage.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "common/config/calendar_file.h"
#include "common/config/dgpa_import.h"
#include "common/config/textproto_file.h"
#include "tools/csopsctl/cli.h"

namespace csops::ctl {
namespace {

constexpr char kUsage[] =
    "usage: csopsctl calendar import [--into=CALENDAR] [--out=FILE] [--time-zone=ZONE]\n"
    "                                [--hours=08:30-12:30,13:30-17:30] [--weekdays=MON,TUE,...]\n"
    "                                YEAR.csv [YEAR.csv...]\n"
    "  YEAR.csv     the DGPA's 政府行政機關辦公日曆表 of one year (data.gov.tw), UTF-8\n"
    "  --into       the calendar file to merge into (its weekly hours and other years are kept)\n"
    "  --out        where to write the merged calendar (default: stdout)\n"
    "  --hours, --weekdays, --time-zone  the weekly pattern (required without --into;\n"
    "               --weekdays defaults to MON,TUE,WED,THU,FRI, --time-zone to Asia/Taipei)\n";

int Fail(const std::string& why) {
  std::fprintf(stderr, "csopsctl: calendar import: %s\n", why.c_str());
  return 1;
}

int UsageError(const std::string& why) {
  std::fprintf(stderr, "csopsctl: calendar import: %s\n%s", why.c_str(), kUsage);
  return 2;
}

Result<std::string> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot read");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// "--hours" and "--weekdays" as the weekly pattern of `file`.
Status SetWeek(const std::string& hours, const std::string& weekdays,
               config::v1::CalendarFile& file) {
  config::v1::WeekdayHours pattern;
  std::stringstream ranges(hours);
  for (std::string range; std::getline(ranges, range, ',');) {
    const auto dash = range.find('-');
    auto start = ParseHhMm(range.substr(0, dash));
    auto end = dash == std::string::npos ? start : ParseHhMm(range.substr(dash + 1));
    if (dash == std::string::npos || !start.ok() || !end.ok() || *end <= *start)
      return Status::InvalidArgument("--hours: '" + range + "' is not a range HH:MM-HH:MM");
    auto* h = pattern.add_hours();
    h->set_start(range.substr(0, dash));
    h->set_end(range.substr(dash + 1));
  }
  if (pattern.hours_size() == 0) return Status::InvalidArgument("--hours: no range given");
  file.clear_week();
  std::stringstream days(weekdays);
  for (std::string day; std::getline(days, day, ',');) {
    static const std::map<std::string, config::v1::Weekday> kDays = {
        {"MON", config::v1::MONDAY},   {"TUE", config::v1::TUESDAY}, {"WED", config::v1::WEDNESDAY},
        {"THU", config::v1::THURSDAY}, {"FRI", config::v1::FRIDAY},  {"SAT", config::v1::SATURDAY},
        {"SUN", config::v1::SUNDAY}};
    auto it = kDays.find(day);
    if (it == kDays.end())
      return Status::InvalidArgument("--weekdays: '" + day + "' is not one of MON..SUN");
    auto* wd = file.add_week();
    *wd = pattern;
    wd->set_day(it->second);
  }
  if (file.week_size() == 0) return Status::InvalidArgument("--weekdays: no day given");
  return Status::Ok();
}

// Writes `text` to a fresh file beside `path`, loads it as a calendar, and renames it over `path`
// (or, for stdout, prints it and removes the file).
Status WriteChecked(const std::string& text, const std::string& out) {
  const std::string tmp = (out.empty() ? std::filesystem::temp_directory_path().string() +
                                             "/csops-calendar-" + std::to_string(getpid())
                                       : out) +
                          ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << text;
    f.flush();
    if (!f) return Status::Unavailable(tmp + ": cannot write");
  }
  auto loaded = LoadCalendarFile(tmp);
  if (!loaded.ok()) {
    std::filesystem::remove(tmp);
    return Status::Internal("the merged calendar does not load: " + loaded.status().message());
  }
  if (out.empty()) {
    std::filesystem::remove(tmp);
    std::fwrite(text.data(), 1, text.size(), stdout);
    return Status::Ok();
  }
  std::error_code ec;
  std::filesystem::rename(tmp, out, ec);
  if (ec) return Status::Unavailable(out + ": cannot replace: " + ec.message());
  return Status::Ok();
}

int RunImport(const CommandArgs& a) {
  for (const auto& [k, _] : a.opts)
    if (k != "into" && k != "out" && k != "time-zone" && k != "hours" && k != "weekdays")
      return UsageError("unknown option --" + k);
  if (a.positional.empty()) return UsageError("give at least one yearly file (YEAR.csv)");
  config::v1::CalendarFile base;
  std::string previous_until;
  if (!a.Get("into").empty()) {
    auto valid = LoadCalendarFile(a.Get("into"));
    if (!valid.ok()) return Fail(valid.status().message());
    auto parsed = TextProtoFile::Parse(a.Get("into"), &base);
    if (!parsed.ok()) return Fail(parsed.status().message());
    previous_until = base.covers_until();
  } else if (a.Get("hours").empty()) {
    return UsageError("without --into, give the weekly pattern with --hours");
  }
  if (!a.Get("time-zone").empty() || a.Get("into").empty())
    base.set_time_zone(a.Get("time-zone", "Asia/Taipei"));
  if (!a.Get("hours").empty()) {
    Status s = SetWeek(a.Get("hours"), a.Get("weekdays", "MON,TUE,WED,THU,FRI"), base);
    if (!s.ok()) return UsageError(s.message());
  } else if (!a.Get("weekdays").empty()) {
    return UsageError("--weekdays needs --hours");
  }

  std::vector<DgpaYear> years;
  std::string sources;
  for (const auto& path : a.positional) {
    auto bytes = ReadAll(path);
    if (!bytes.ok()) return Fail(bytes.status().message());
    auto year = ParseDgpaYear(*bytes, path);
    if (!year.ok()) return Fail(year.status().message());
    years.push_back(std::move(*year));
    sources += (sources.empty() ? "" : ", ") + std::filesystem::path(path).filename().string();
  }
  if (base.covers_from().empty()) {  // a new calendar: it starts with the first year imported
    int first = years.front().year;
    for (const auto& y : years) first = std::min(first, y.year);
    base.set_covers_from(std::to_string(first) + "-01-01");
    base.set_covers_until(std::to_string(first) + "-12-31");
  }
  auto merged = MergeYears(base, years);
  if (!merged.ok()) return Fail(merged.status().message());

  const std::vector<std::string> header = {
      "Office calendar of csopsd (schema: proto/csops/config/v1/calendar.proto).",
      "Written by `csopsctl calendar import` from the DGPA's yearly office calendars",
      "(行政院人事行政總處「政府行政機關辦公日曆表」, open data on data.gov.tw): " + sources + ".",
      "Listed are only the dates that differ from the weekly pattern: weekday holidays",
      "(HOLIDAY) and weekend working days (WORKDAY, 補行上班). Past covers_until only the",
      "weekly pattern applies; import the next year when it is published (README).",
  };
  Status written = WriteChecked(RenderCalendarFile(merged->file, header), a.Get("out"));
  if (!written.ok()) return Fail(written.message());
  for (const auto& y : merged->years)
    std::fprintf(stderr, "%d: %d holidays, %d make-up working days\n", y.year, y.holidays,
                 y.make_up_days);
  std::fprintf(stderr, "covers_from: %s\ncovers_until: %s%s\n", merged->file.covers_from().c_str(),
               merged->file.covers_until().c_str(),
               previous_until.empty() ? "" : (" (was " + previous_until + ")").c_str());
  return 0;
}

}  // namespace

int RunCalendar(const std::vector<std::string>& args) {
  if (args.empty() || args[0] != "import") {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::string error;
  CommandArgs a = ParseCommandArgs(args, &error);
  if (!error.empty()) return UsageError(error);
  return RunImport(a);
}

}  // namespace csops::ctl

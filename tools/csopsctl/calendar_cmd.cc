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
#include "tools/flags/flags.h"

namespace csops::ctl {
namespace {

struct ImportArgs {
  std::string into, out, time_zone, hours, weekdays;
  std::vector<std::string> files;  // YEAR.csv...
};

int Fail(const std::string& why) {
  std::fprintf(stderr, "csopsctl: calendar import: %s\n", why.c_str());
  return 1;
}

int ImportUsageError(const std::string& why) { return UsageError("calendar import", why); }

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

int RunImport(const ImportArgs& a) {
  if (a.files.empty()) return ImportUsageError("give at least one yearly file (YEAR.csv)");
  config::v1::CalendarFile base;
  std::string previous_until;
  if (!a.into.empty()) {
    auto valid = LoadCalendarFile(a.into);
    if (!valid.ok()) return Fail(valid.status().message());
    auto parsed = TextProtoFile::Parse(a.into, &base);
    if (!parsed.ok()) return Fail(parsed.status().message());
    previous_until = base.covers_until();
  } else if (a.hours.empty()) {
    return ImportUsageError("without --into, give the weekly pattern with --hours");
  }
  if (!a.time_zone.empty() || a.into.empty())
    base.set_time_zone(a.time_zone.empty() ? "Asia/Taipei" : a.time_zone);
  if (!a.hours.empty()) {
    Status s = SetWeek(a.hours, a.weekdays.empty() ? "MON,TUE,WED,THU,FRI" : a.weekdays, base);
    if (!s.ok()) return ImportUsageError(s.message());
  } else if (!a.weekdays.empty()) {
    return ImportUsageError("--weekdays needs --hours");
  }

  std::vector<DgpaYear> years;
  std::string sources;
  for (const auto& path : a.files) {
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
  Status written = WriteChecked(RenderCalendarFile(merged->file, header), a.out);
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

void AddCalendar(CLI::App& app, Command* run) {
  auto* calendar = app.add_subcommand("calendar", "office calendar files (offline)");
  calendar->require_subcommand(1);
  auto* import = calendar->add_subcommand(
      "import", "merge the DGPA's yearly office calendars into a calendar file");
  auto a = std::make_shared<ImportArgs>();
  import->add_option("--into", a->into,
                     "the calendar file to merge into (its weekly hours and other years are kept)");
  import->add_option("--out", a->out, "where to write the merged calendar (default: stdout)");
  import->add_option("--time-zone", a->time_zone,
                     "the calendar's time zone (default: --into's, or Asia/Taipei)");
  import->add_option("--hours", a->hours,
                     "the weekly pattern's hours, e.g. 08:30-12:30,13:30-17:30 (required "
                     "without --into)");
  import->add_option("--weekdays", a->weekdays,
                     "the weekly pattern's days (default MON,TUE,WED,THU,FRI); needs --hours");
  import->add_option("YEAR.csv", a->files,
                     "the DGPA's 政府行政機關辦公日曆表 of one year (data.gov.tw), UTF-8");
  import->callback([run, a] { *run = [a] { return RunImport(*a);
};
}  // namespace csops::ctl
);
}

}  // namespace csops::ctl

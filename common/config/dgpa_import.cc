#include "common/config/dgpa_import.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>

#include "common/base/civil_date.h"

namespace csops {
namespace {

using config::v1::CalendarFile;
using config::v1::DateException;

constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr std::string_view kHeader = "西元日期,星期,是否放假,備註";

// Offset of the first byte that is not part of well-formed UTF-8, or npos.
std::size_t FirstInvalidUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    int extra = c < 0x80           ? 0
                : (c >> 5) == 0x6  ? 1
                : (c >> 4) == 0xE  ? 2
                : (c >> 3) == 0x1E ? 3
                                   : -1;
    if (extra < 0 || c == 0xC0 || c == 0xC1 || c > 0xF4) return i;
    if (i + extra >= s.size() && extra > 0) return i;  // cut off at the end
    unsigned cp = extra == 0 ? c : c & (0x3F >> extra);
    for (int k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3F);
    }
    const unsigned min[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += extra + 1;
  }
  return std::string_view::npos;
}

// What a line of the file says, quoted for a message: printable, at most 60 bytes.
std::string Quote(std::string_view s) {
  std::string out = "'";
  for (std::size_t i = 0; i < s.size() && i < 60; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F || c == '\'' || c == '\\') {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > 60) out += "...";
  return out + "'";
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits one CSV record (RFC 4180): a field that starts with a double quote runs to the closing
// one ("" inside is a quote); elsewhere a quote is a plain character. nullopt when a quoted field
// is not closed.
std::optional<std::vector<std::string>> SplitCsv(std::string_view line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c != '"') {
        fields.back() += c;
      } else if (i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else {
        quoted = false;
      }
    } else if (c == '"' && fields.back().empty()) {  // a quote opens only a whole field
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  if (quoted) return std::nullopt;
  return fields;
}

// "日一二三四五六" by absl weekday.
std::string_view WeekdayChar(absl::Weekday w) {
  switch (w) {
    case absl::Weekday::monday:
      return "一";
    case absl::Weekday::tuesday:
      return "二";
    case absl::Weekday::wednesday:
      return "三";
    case absl::Weekday::thursday:
      return "四";
    case absl::Weekday::friday:
      return "五";
    case absl::Weekday::saturday:
      return "六";
    case absl::Weekday::sunday:
      return "日";
  }
  return "?";
}

std::optional<absl::CivilDay> ParseCompactDate(std::string_view s) {
  if (s.size() != 8 ||
      !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  auto num = [&](std::size_t at, std::size_t n) {
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) v = v * 10 + (s[i] - '0');
    return v;
  };
  const int y = num(0, 4), m = num(4, 2), d = num(6, 2);
  absl::CivilDay day(y, m, d);
  if (y < 1900 || day.year() != y || day.month() != m || day.day() != d) return std::nullopt;
  return day;
}

int DaysInYear(int year) {
  return static_cast<int>(absl::CivilDay(year + 1, 1, 1) - absl::CivilDay(year, 1, 1));
}

// ISO weekday 1..7 (Monday = 1), as in config::v1::Weekday.
int IsoWeekday(absl::CivilDay day) {
  switch (absl::GetWeekday(day)) {
    case absl::Weekday::monday:
      return 1;
    case absl::Weekday::tuesday:
      return 2;
    case absl::Weekday::wednesday:
      return 3;
    case absl::Weekday::thursday:
      return 4;
    case absl::Weekday::friday:
      return 5;
    case absl::Weekday::saturday:
      return 6;
    case absl::Weekday::sunday:
      return 7;
  }
  return 0;
}

std::string EscapeText(std::string_view s) {
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c == 0x7F) {
      static constexpr char kOct[] = "01234567";
      out += '\\';
      out += kOct[(c >> 6) & 7];
      out += kOct[(c >> 3) & 7];
      out += kOct[c & 7];
    } else {
      out += ch;
    }
  }
  return out;
}

std::string RenderHours(const google::protobuf::RepeatedPtrField<config::v1::HoursRange>& hours) {
  std::string out;
  for (const auto& h : hours)
    out +=
        " hours { start: \"" + EscapeText(h.start()) + "\" end: \"" + EscapeText(h.end()) + "\" }";
  return out;
}

}  // namespace

Result<DgpaYear> ParseDgpaYear(std::string_view bytes, const std::string& source) {
  if (bytes.size() >= 2 &&
      ((bytes[0] == '\xFF' && bytes[1] == '\xFE') || (bytes[0] == '\xFE' && bytes[1] == '\xFF')))
    return Status::InvalidArgument(
        source + ":1: the file is UTF-16; save it as UTF-8 (iconv -f UTF-16 -t UTF-8)");
  if (bytes.substr(0, kBom.size()) == kBom) bytes.remove_prefix(kBom.size());
  if (const std::size_t bad = FirstInvalidUtf8(bytes); bad != std::string_view::npos) {
    const auto line = 1 + std::count(bytes.begin(), bytes.begin() + bad, '\n');
    return Status::InvalidArgument(source + ":" + std::to_string(line) +
                                   ": not UTF-8 (a Big5 file? convert it with iconv -f BIG5 -t "
                                   "UTF-8 first)");
  }
  DgpaYear out;
  out.source = source;
  std::map<absl::CivilDay, int> line_of;
  int line_no = 0;
  bool header_seen = false;
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    std::size_t nl = bytes.find('\n', pos);
    if (nl == std::string_view::npos) nl = bytes.size();
    std::string_view line = bytes.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::string at = source + ":" + std::to_string(line_no) + ": ";
    if (Trim(line).empty()) continue;
    if (!header_seen) {
      if (Trim(line) != kHeader)
        return Status::InvalidArgument(at + "the header must be '" + std::string(kHeader) +
                                       "' (the DGPA's 辦公日曆表), found " + Quote(line));
      header_seen = true;
      continue;
    }
    auto fields = SplitCsv(line);
    if (!fields) return Status::InvalidArgument(at + "a quoted field is not closed");
    if (fields->size() < 3 || fields->size() > 4)
      return Status::InvalidArgument(at + "expected 4 fields (" + std::string(kHeader) +
                                     "), found " + std::to_string(fields->size()));
    const std::string_view date_text = Trim((*fields)[0]);
    auto day = ParseCompactDate(date_text);
    if (!day)
      return Status::InvalidArgument(at + "西元日期 " + Quote(date_text) +
                                     " is not a date YYYYMMDD");
    const std::string iso = FormatIsoDate(*day);
    if (out.days.empty()) out.year = static_cast<int>(day->year());
    if (day->year() != out.year)
      return Status::InvalidArgument(at + iso + " is not in " + std::to_string(out.year) +
                                     ", the year of the first row; give one file per year");
    const std::string_view weekday = Trim((*fields)[1]);
    const std::string_view expected = WeekdayChar(absl::GetWeekday(*day));
    if (weekday != expected)
      return Status::InvalidArgument(at + "星期 " + Quote(weekday) + " does not match " + iso +
                                     ", which is a " + std::string(expected));
    const std::string_view off = Trim((*fields)[2]);
    if (off != "0" && off != "2")
      return Status::InvalidArgument(at + "是否放假 " + Quote(off) +
                                     " must be 0 (a working day) or 2 (a day off)");
    if (auto [it, fresh] = line_of.emplace(*day, line_no); !fresh)
      return Status::InvalidArgument(at + iso + " is listed twice (first on line " +
                                     std::to_string(it->second) + ")");
    out.days.push_back(
        DgpaDay{*day, off == "2", fields->size() == 4 ? std::string(Trim((*fields)[3])) : ""});
  }
  if (!header_seen)
    return Status::InvalidArgument(source + ": empty file (expected the header '" +
                                   std::string(kHeader) + "' and one row per day)");
  if (out.days.empty()) return Status::InvalidArgument(source + ": the file has no rows");
  const int expected_days = DaysInYear(out.year);
  if (static_cast<int>(out.days.size()) != expected_days) {
    absl::CivilDay missing(out.year, 1, 1);
    while (line_of.count(missing)) ++missing;
    return Status::InvalidArgument(source + ": the year " + std::to_string(out.year) +
                                   " is not complete: " + std::to_string(out.days.size()) + " of " +
                                   std::to_string(expected_days) + " days, " +
                                   FormatIsoDate(missing) + " is missing");
  }
  std::sort(out.days.begin(), out.days.end(),
            [](const DgpaDay& a, const DgpaDay& b) { return a.date < b.date; });
  return out;
}

Result<MergedCalendar> MergeYears(const CalendarFile& base, const std::vector<DgpaYear>& years) {
  std::array<const config::v1::WeekdayHours*, 8> week{};  // by ISO weekday
  const config::v1::WeekdayHours* first_working = nullptr;
  for (const auto& wd : base.week()) {
    if (wd.day() < 1 || wd.day() > 7) continue;
    week[wd.day()] = &wd;
    if (wd.hours_size() > 0 && (!first_working || wd.day() < first_working->day()))
      first_working = &wd;
  }
  if (!first_working) return Status::InvalidArgument("week: the weekly pattern has no working day");

  std::map<int, const DgpaYear*> by_year;
  for (const auto& y : years) {
    if (auto [it, fresh] = by_year.emplace(y.year, &y); !fresh)
      return Status::InvalidArgument("the year " + std::to_string(y.year) + " is given twice (" +
                                     it->second->source + " and " + y.source + ")");
  }
  if (by_year.empty()) return Status::InvalidArgument("no yearly file to import");

  // Coverage: the base range plus every imported year, which must be one unbroken range.
  auto base_from = ParseIsoDate(base.covers_from());
  auto base_until = ParseIsoDate(base.covers_until());
  if (!base_from.ok()) return base_from.status().WithContext("covers_from");
  if (!base_until.ok()) return base_until.status().WithContext("covers_until");
  std::vector<std::pair<absl::CivilDay, absl::CivilDay>> ranges = {{*base_from, *base_until}};
  for (const auto& [y, _] : by_year)
    ranges.push_back({absl::CivilDay(y, 1, 1), absl::CivilDay(y, 12, 31)});
  std::sort(ranges.begin(), ranges.end());
  absl::CivilDay from = ranges.front().first, until = ranges.front().second;
  for (const auto& [b, e] : ranges) {
    if (b > until + 1)
      return Status::InvalidArgument(
          "the coverage would have a gap: " + FormatIsoDate(until + 1) + " to " +
          FormatIsoDate(b - 1) + " is in neither the calendar file (" + base.covers_from() +
          " to " + base.covers_until() + ") nor an imported year; import that year too");
    until = std::max(until, e);
  }

  MergedCalendar out;
  out.file = base;
  out.file.set_covers_from(FormatIsoDate(from));
  out.file.set_covers_until(FormatIsoDate(until));
  out.file.clear_exceptions();
  std::map<absl::CivilDay, DateException> merged;
  for (const auto& ex : base.exceptions()) {
    auto day = ParseIsoDate(ex.date());
    if (!day.ok()) return day.status().WithContext("exceptions.date");
    if (!by_year.count(static_cast<int>(day->year()))) merged[*day] = ex;
  }
  for (const auto& [y, year] : by_year) {
    ImportedYearSummary summary{y, 0, 0};
    for (const auto& d : year->days) {
      const auto* pattern = week[IsoWeekday(d.date)];
      const bool pattern_works = pattern && pattern->hours_size() > 0;
      if (d.day_off == !pattern_works) continue;
      DateException ex;
      ex.set_date(FormatIsoDate(d.date));
      if (d.day_off) {
        ex.set_kind(config::v1::HOLIDAY);
        ex.set_name(d.name.empty() ? "放假" : d.name);
        ++summary.holidays;
      } else {
        ex.set_kind(config::v1::WORKDAY);
        ex.set_name(d.name.empty() ? "補行上班" : d.name);
        *ex.mutable_hours() = first_working->hours();
        ++summary.make_up_days;
      }
      merged[d.date] = std::move(ex);
    }
    out.years.push_back(summary);
  }
  for (auto& [_, ex] : merged) *out.file.add_exceptions() = std::move(ex);
  return out;
}

std::string RenderCalendarFile(const CalendarFile& file, const std::vector<std::string>& header) {
  static constexpr const char* kDay[] = {"",         "MONDAY", "TUESDAY",  "WEDNESDAY",
                                         "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"};
  std::string out;
  for (const auto& line : header) out += line.empty() ? "#\n" : "# " + line + "\n";
  if (!header.empty()) out += "\n";
  out += "time_zone: \"" + EscapeText(file.time_zone()) + "\"\n";
  out += "covers_from: \"" + EscapeText(file.covers_from()) + "\"\n";
  out += "covers_until: \"" + EscapeText(file.covers_until()) + "\"\n\n";
  for (const auto& wd : file.week()) {
    if (wd.day() < 1 || wd.day() > 7) continue;
    out += std::string("week { day: ") + kDay[wd.day()] + RenderHours(wd.hours()) + " }\n";
  }
  int year = 0;
  for (const auto& ex : file.exceptions()) {
    const int y = std::atoi(ex.date().substr(0, 4).c_str());
    if (y != year) out += "\n";
    year = y;
    const char* kind = ex.kind() == config::v1::WORKDAY   ? "WORKDAY"
                       : ex.kind() == config::v1::HOLIDAY ? "HOLIDAY"
                                                          : "EXCEPTION_KIND_UNSPECIFIED";
    out += "exceptions { date: \"" + EscapeText(ex.date()) + "\" kind: " + kind + " name: \"" +
           EscapeText(ex.name()) + "\"" + RenderHours(ex.hours()) + " }\n";
  }
  return out;
}

}  // namespace csops

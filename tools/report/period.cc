#include "tools/report/period.h"

#include <cstdio>

namespace csops::report {
namespace {

Instant StartOf(absl::CivilDay d, const absl::TimeZone& zone) {
  return FromUnixMillis(absl::ToUnixMillis(absl::FromCivil(d, zone)));
}

std::string Format(absl::CivilDay d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", static_cast<int>(d.year()), d.month(), d.day());
  return buf;
}

}  // namespace

Result<absl::CivilDay> ParseDay(const std::string& field, const std::string& text) {
  absl::CivilDay d;
  if (text.size() != 10 || !absl::ParseCivilTime(text, &d) || Format(d) != text)
    return Status::InvalidArgument(field + ": '" + text + "' is not a date YYYY-MM-DD");
  return d;
}

Result<Period> WholePeriod(absl::CivilDay first, absl::CivilDay last, const absl::TimeZone& zone) {
  if (last < first) return Status::InvalidArgument("--to: must not be before --from");
  if (last - first >= 400) return Status::InvalidArgument("--to: a report covers at most 400 days");
  return Period{StartOf(first, zone), StartOf(last + 1, zone),
                Format(first) + " – " + Format(last)};
}

std::vector<Period> MonthsOf(absl::CivilDay first, absl::CivilDay last,
                             const absl::TimeZone& zone) {
  std::vector<Period> out;
  for (absl::CivilMonth m(first); m <= absl::CivilMonth(last); ++m) {
    const absl::CivilDay begin = std::max(absl::CivilDay(m), first);
    const absl::CivilDay end = std::min(absl::CivilDay(m + 1) - 1, last);
    char label[16];
    std::snprintf(label, sizeof label, "%04d-%02d", static_cast<int>(m.year()), m.month());
    out.push_back({StartOf(begin, zone), StartOf(end + 1, zone), label});
  }
  return out;
}

}  // namespace csops::report

#include "common/base/civil_date.h"

#include <cstdio>

#include "common/base/text.h"

namespace csops {

Result<int> ParseHhMm(const std::string& text) {
  int h = -1, m = -1;
  char tail = 0;
  if (text.size() != 5 || std::sscanf(text.c_str(), "%2d:%2d%c", &h, &m, &tail) != 2 ||
      text[2] != ':' || h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0))
    return Status::InvalidArgument("'" + text + "' is not HH:MM");
  return h * 60 + m;
}

std::string FormatIsoDate(absl::CivilDay day) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", static_cast<int>(day.year()), day.month(),
                day.day());
  return buf;
}

Result<absl::CivilDay> ParseIsoDate(const std::string& text) {
  // Exactly four, two and two ASCII digits: no sign, space or other width that sscanf's %d
  // would take ("2027- 1- 5", "2027-01-+5").
  auto digits = [&](std::size_t at, std::size_t n) {
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (text[i] < '0' || text[i] > '9') return -1;
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  const bool shaped = text.size() == 10 && text[4] == '-' && text[7] == '-';
  const int y = shaped ? digits(0, 4) : -1, mo = shaped ? digits(5, 2) : -1,
            d = shaped ? digits(8, 2) : -1;
  if (y < 0 || mo < 0 || d < 0)
    return Status::InvalidArgument(Quote(text) + " is not a date YYYY-MM-DD");
  absl::CivilDay day(y, mo, d);
  if (y == 0 || day.year() != y || day.month() != mo || day.day() != d)
    return Status::InvalidArgument(Quote(text) + " is not a real date");
  return day;
}

}  // namespace csops

// Turns the fetched report answers into the self-assessment report (每半年自行考核): tables
// (each also a CSV), SVG charts and one self-contained HTML page. Pure: no I/O.
//
// Sections: summary; queue (visitors, waits against target, no-shows, ratings); cases (on-time
// share per type and target, complaints answered within 72 h, delays with reasons); notices
// (per channel: reached share, latency); and the month-by-month trend (趨勢分析).
#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tools/report/fetch.h"
#include "tools/report/table.h"

namespace csops::report {

struct ReportInput {
  Slice whole;                // the whole period
  std::vector<Slice> months;  // one per calendar month
  std::string branch;         // "" = every branch
  Lang lang = Lang::kZhTw;
  absl::TimeZone zone;
  Instant generated_at;
};

struct ReportOutput {
  std::vector<Table> tables;
  std::string html;
};

ReportOutput BuildReport(const ReportInput& in);

}  // namespace csops::report

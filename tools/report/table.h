// Bilingual text and the report's tables. One Table feeds both its CSV file and its HTML
// <table>, so the two can never disagree.
#pragma once

#include <string>
#include <vector>

#include "common/base/html.h"

namespace csops::report {

enum class Lang { kZhTw, kEn };

// A label in both languages; the report shows the chosen one first and the other beneath it.
struct Text {
  std::string zh, en;
  const std::string& In(Lang l) const { return l == Lang::kEn ? en : zh; }
  const std::string& Other(Lang l) const { return l == Lang::kEn ? zh : en; }
};

struct Table {
  std::string id;  // CSV file stem and HTML anchor, e.g. "queue_services"
  Text title;
  std::vector<Text> columns;
  std::vector<bool> numeric;  // per column: right-aligned in HTML
  std::vector<std::vector<std::string>> rows;
};

// RFC 4180 CSV in UTF-8 with a byte-order mark (so spreadsheet programs read the Chinese
// right); the header row is in `lang`, CRLF line ends.
std::string ToCsv(const Table& t, Lang lang);

// <table> with a <caption>, header cells with scope="col", numbers right-aligned.
std::string ToHtml(const Table& t, Lang lang);

using csops::EscapeHtml;  // common/base/html.h

// Number formatting used by every table and chart: fixed decimals, "85.0%" for shares.
std::string Fixed(double v, int decimals);
std::string Percent(double share);

}  // namespace csops::report

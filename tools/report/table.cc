#include "tools/report/table.h"

#include <cstdio>

namespace csops::report {
namespace {

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string Percent(double share) { return Fixed(share * 100.0, 1) + "%"; }

std::string ToCsv(const Table& t, Lang lang) {
  std::string out = "\xEF\xBB\xBF";
  for (std::size_t i = 0; i < t.columns.size(); ++i)
    out += (i ? "," : "") + CsvField(t.columns[i].In(lang));
  out += "\r\n";
  for (const auto& row : t.rows) {
    for (std::size_t i = 0; i < row.size(); ++i) out += (i ? "," : "") + CsvField(row[i]);
    out += "\r\n";
  }
  return out;
}

std::string ToHtml(const Table& t, Lang lang) {
  const char* other_lang = lang == Lang::kEn ? "zh-TW" : "en";
  std::string out = "<div class=\"table-wrap\"><table id=\"" + EscapeHtml(t.id) + "\">\n<caption>" +
                    EscapeHtml(t.title.In(lang)) + " <span class=\"other\" lang=\"" + other_lang +
                    "\">" + EscapeHtml(t.title.Other(lang)) + "</span> <a class=\"csv\" href=\"" +
                    EscapeHtml(t.id) + ".csv\">CSV</a></caption>\n<thead><tr>";
  for (const Text& c : t.columns)
    out += "<th scope=\"col\">" + EscapeHtml(c.In(lang)) + "<span class=\"other\" lang=\"" +
           other_lang + "\">" + EscapeHtml(c.Other(lang)) + "</span></th>";
  out += "</tr></thead>\n<tbody>\n";
  if (t.rows.empty())
    out += "<tr><td colspan=\"" + std::to_string(t.columns.size()) + "\">" +
           (lang == Lang::kEn ? "None in this period" : "本期無資料") + "</td></tr>\n";
  for (const auto& row : t.rows) {
    out += "<tr>";
    for (std::size_t i = 0; i < row.size(); ++i) {
      const bool num = i < t.numeric.size() && t.numeric[i];
      out += std::string(i == 0 ? "<th scope=\"row\"" : "<td") + (num ? " class=\"num\">" : ">") +
             EscapeHtml(row[i]) + (i == 0 ? "</th>" : "</td>");
    }
    out += "</tr>\n";
  }
  return out + "</tbody></table></div>\n";
}

}  // namespace csops::report

#include "services/web/language.h"

#include <cctype>
#include <cstdlib>

namespace csops::web {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

}  // namespace

std::string PickLocale(const std::string& query_lang, const std::string& accept_language) {
  const std::string q = Lower(query_lang);
  if (q == "en") return "en";
  if (q == "zh-tw" || q == "zh") return "zh-TW";
  std::string best = "zh-TW";
  double best_q = -1;
  std::size_t start = 0;
  while (start <= accept_language.size()) {
    std::size_t comma = accept_language.find(',', start);
    if (comma == std::string::npos) comma = accept_language.size();
    const std::string entry = accept_language.substr(start, comma - start);
    start = comma + 1;
    const std::size_t semi = entry.find(';');
    const std::string tag = Lower(Trim(entry.substr(0, semi)));
    double weight = 1.0;
    if (semi != std::string::npos) {
      const std::string params = Lower(Trim(entry.substr(semi + 1)));
      if (params.rfind("q=", 0) == 0) weight = std::strtod(params.c_str() + 2, nullptr);
    }
    const char* locale = tag.rfind("zh", 0) == 0   ? "zh-TW"
                         : tag.rfind("en", 0) == 0 ? "en"
                                                   : nullptr;
    if (locale && weight > best_q && weight > 0) {
      best = locale;
      best_q = weight;
    }
  }
  return best;
}

}  // namespace csops::web

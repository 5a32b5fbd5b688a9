// Which language a page speaks: "zh-TW" or "en".
#pragma once

#include <string>

namespace csops::web {

// An explicit choice (?lang=en or ?lang=zh-TW, from the page's language switch) wins;
// otherwise the Accept-Language entry with the highest q-value among zh* and en*; otherwise
// "zh-TW".
std::string PickLocale(const std::string& query_lang, const std::string& accept_language);

}  // namespace csops::web

// Escaping for text placed into HTML pages and attributes.
#pragma once

#include <string>

namespace csops {

// &, <, >, " and ' escaped: safe in HTML text and in quoted attribute values.
std::string EscapeHtml(const std::string& s);

// A JSON string literal (with the quotes) that is also safe inside an HTML <script> or
// attribute: '<', '>', '&' and U+2028/2029 are written as \u escapes.
std::string JsonString(const std::string& s);

}  // namespace csops

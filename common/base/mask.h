// Masking of personal data before it reaches a log, a metric label or a public answer.
//
// The product keeps names, phone numbers and e-mail addresses only in its stores. Anything that
// leaves for an operator's eyes goes through one of these functions. They are total: any input,
// including malformed UTF-8, yields a masked string that never contains the input's hidden part.
#pragma once

#include <string>
#include <string_view>

namespace csops {

// "0912345678" -> "******5678"; keeps the last 3 digits when there are at least 7,
// otherwise masks every digit. Non-digits (+, -, spaces) are dropped.
std::string MaskPhone(std::string_view phone);

// "chen.mei@example.com.tw" -> "c***@example.com.tw"; no '@' -> "***".
std::string MaskEmail(std::string_view email);

// "王小明" -> "王*明", "王明" -> "王*", "Mary Chen" -> "M*** C***"; per UTF-8 code point.
std::string MaskName(std::string_view name);

// Replaces every e-mail address and every run of 7+ digits (optionally with '-', ' ' or a
// leading '+') in free text by its mask, e.g. a clerk's note "call 0912-345-678" ->
// "call *******678".
std::string RedactPersonalData(std::string_view text);

}  // namespace csops

// Checks and normal forms of contacts, and SMS segment counting. Pure.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace csops::notify {

// A Taiwan mobile number, "09xxxxxxxx" or "+8869xxxxxxxx" (spaces and '-' ignored), in the
// national form "09xxxxxxxx"; kInvalidArgument naming `field` otherwise.
Result<std::string> NormalizeMobile(std::string_view text, const std::string& field);

// A plausible e-mail address (one '@', a dotted domain, no spaces or control characters, at
// most 254 bytes); kInvalidArgument naming `field` otherwise.
Status ValidateEmail(std::string_view text, const std::string& field);

struct SmsSegments {
  bool ucs2 = false;   // any character outside the GSM 03.38 basic set
  int characters = 0;  // UCS-2: UTF-16 code units; GSM: septets (escapes count two)
  int segments = 0;    // 1 if it fits one message, else ceil(characters / per-part size)
};

// GSM-7: 160 in one message, 153 per part when split. UCS-2 (e.g. Chinese): 70, or 67 per part.
SmsSegments CountSmsSegments(std::string_view utf8);

}  // namespace csops::notify

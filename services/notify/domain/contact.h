// SMS segment counting. Pure. The checks and normal forms of mobiles and e-mail addresses are
// common/base/contact.h (csops::contact), shared with the services that take contacts for notify.
#pragma once

#include <string>
#include <string_view>

namespace csops::notify {

struct SmsSegments {
  bool ucs2 = false;   // any character outside the GSM 03.38 basic set
  int characters = 0;  // UCS-2: UTF-16 code units; GSM: septets (escapes count two)
  int segments = 0;    // 1 if it fits one message, else ceil(characters / per-part size)
};

// GSM-7: 160 in one message, 153 per part when split. UCS-2 (e.g. Chinese): 70, or 67 per part.
SmsSegments CountSmsSegments(std::string_view utf8);

}  // namespace csops::notify

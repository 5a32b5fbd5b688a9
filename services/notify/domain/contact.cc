#include "services/notify/domain/contact.h"

namespace csops::notify {
namespace {

// Decodes UTF-8; invalid bytes become U+FFFD.
std::u32string Decode(std::string_view s) {
  std::u32string out;
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    char32_t cp = len == 1 ? c : c & (0x7F >> len);
    for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back(cp);
    i += len;
  }
  return out;
}

// GSM 03.38 basic character set (as Unicode) and its extension table (two septets each).
const std::u32string& GsmBasic() {
  static const std::u32string s =
      U"@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
      U"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  return s;
}
const std::u32string& GsmExtension() {
  static const std::u32string s = U"^{}\\[~]|€\f";
  return s;
}

}  // namespace

SmsSegments CountSmsSegments(std::string_view utf8) {
  const std::u32string cps = Decode(utf8);
  SmsSegments r;
  int septets = 0;
  for (char32_t cp : cps) {
    if (GsmBasic().find(cp) != std::u32string::npos) {
      ++septets;
    } else if (GsmExtension().find(cp) != std::u32string::npos) {
      septets += 2;
    } else {
      r.ucs2 = true;
    }
  }
  if (r.ucs2) {
    for (char32_t cp : cps) r.characters += cp > 0xFFFF ? 2 : 1;
    r.segments = r.characters <= 70 ? 1 : (r.characters + 66) / 67;
  } else {
    r.characters = septets;
    r.segments = septets <= 160 ? 1 : (septets + 152) / 153;
  }
  if (r.characters == 0) r.segments = 1;
  return r;
}

}  // namespace csops::notify

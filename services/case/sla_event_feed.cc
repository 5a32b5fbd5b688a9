#include "services/case/sla_event_feed.h"

#include <cstdio>
#include <limits>

namespace csops::cases {
namespace {

// "..." with anything but printable ASCII as \xNN, at most 32 bytes of the input.
std::string Quoted(std::string_view text) {
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size() && i < 32; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  if (text.size() > 32) out += "...";
  return out + "\"";
}

}  // namespace

Result<std::optional<std::int64_t>> ParseSlaCursor(std::string_view text) {
  if (text.empty()) return std::optional<std::int64_t>();
  auto bad = [&] {
    return Status::InvalidArgument("after_cursor: " + Quoted(text) +
                                   " is not a cursor (the cursor of an SlaEventNotice, a "
                                   "decimal number, or \"0\" for every event)");
  };
  if (text.size() > 19 || (text.size() > 1 && text[0] == '0')) return bad();
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return bad();
    const int digit = c - '0';
    if (value > (std::numeric_limits<std::int64_t>::max() - digit) / 10) return bad();
    value = value * 10 + digit;
  }
  return std::optional<std::int64_t>(value);
}

}  // namespace csops::cases

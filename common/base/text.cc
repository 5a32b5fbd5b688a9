#include "common/base/text.h"

#include <cstdio>

namespace csops {
namespace {

constexpr char32_t kInvalid = 0xFFFFFFFF;

// The code point at s[i], with its length in *len; kInvalid (and *len = 1) for a byte that
// does not start a valid UTF-8 sequence there.
char32_t Decode(std::string_view s, std::size_t i, std::size_t* len) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  *len = 1;
  if (b0 < 0x80) return b0;
  std::size_t n;
  char32_t cp, min;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 1, cp = b0 & 0x1F, min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 2, cp = b0 & 0x0F, min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 3, cp = b0 & 0x07, min = 0x10000;
  } else {
    return kInvalid;  // a continuation byte, C0/C1 (overlong) or F5-FF
  }
  if (s.size() - i <= n) return kInvalid;
  for (std::size_t k = 1; k <= n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return kInvalid;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return kInvalid;
  *len = n + 1;
  return cp;
}

bool IsControl(char32_t c) { return c < 0x20 || (c >= 0x7F && c <= 0x9F); }

// Characters that reorder or break what a reader sees: bidirectional embeddings, overrides and
// isolates, marks, and the Unicode line and paragraph separators.
bool IsInvisibleLayout(char32_t c) {
  return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0x200E ||
         c == 0x200F || c == 0x061C || c == 0x2028 || c == 0x2029;
}

// Appends s[i, i+len) escaped; `quote` (0 for none) and, when `backslash`, the backslash get a
// backslash.
void AppendEscaped(std::string& out, std::string_view s, std::size_t i, std::size_t len,
                   char32_t cp, char quote, bool backslash = true) {
  char buf[16];
  if (cp == kInvalid) {
    std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(s[i]));
    out += buf;
  } else if ((backslash && cp == '\\') || (quote != 0 && cp == static_cast<char32_t>(quote))) {
    out += '\\';
    out += static_cast<char>(cp);
  } else if (cp == '\n') {
    out += "\\n";
  } else if (cp == '\t') {
    out += "\\t";
  } else if (cp == '\r') {
    out += "\\r";
  } else if (cp < 0x80 && IsControl(cp)) {
    std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(cp));
    out += buf;
  } else if (IsControl(cp) || IsInvisibleLayout(cp)) {
    std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
    out += buf;
  } else {
    out.append(s.substr(i, len));
  }
}

std::string Escape(std::string_view s, char quote, bool backslash) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0, len = 0; i < s.size(); i += len) {
    const char32_t cp = Decode(s, i, &len);
    AppendEscaped(out, s, i, len, cp, quote, backslash);
  }
  return out;
}

std::string Hex(unsigned value, int digits) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%0*X", digits, value);
  return buf;
}

}  // namespace

std::optional<std::size_t> CountCodePoints(std::string_view text) {
  std::size_t n = 0;
  for (std::size_t i = 0, len = 0; i < text.size(); i += len, ++n)
    if (Decode(text, i, &len) == kInvalid) return std::nullopt;
  return n;
}

Status CheckText(std::string_view field, std::string_view text, TextLimit limit) {
  const std::string f(field);
  if (text.empty())
    return limit.required ? Status::InvalidArgument(f + ": must not be empty") : Status();
  const std::string max = std::to_string(limit.max_chars);
  if (text.size() > 4 * limit.max_chars)
    return Status::InvalidArgument(f + ": " + std::to_string(text.size()) +
                                   " bytes, more than any text of " + max +
                                   " characters (the limit)");
  std::size_t chars = 0;
  for (std::size_t i = 0, len = 0; i < text.size(); i += len) {
    const char32_t cp = Decode(text, i, &len);
    ++chars;
    if (cp == kInvalid)
      return Status::InvalidArgument(f + ": not valid UTF-8 (byte 0x" +
                                     Hex(static_cast<unsigned char>(text[i]), 2) + " at offset " +
                                     std::to_string(i) + ")");
    if (!IsControl(cp)) continue;
    const bool line_break =
        cp == '\t' || cp == '\n' || (cp == '\r' && i + 1 < text.size() && text[i + 1] == '\n');
    if (limit.lines == Lines::kMulti && line_break) continue;
    return Status::InvalidArgument(
        f + ": control character U+" + Hex(cp, 4) + " (character " + std::to_string(chars) +
        ") is not allowed" +
        (limit.lines == Lines::kSingle && line_break ? "; this field is a single line" : ""));
  }
  if (chars > limit.max_chars)
    return Status::InvalidArgument(f + ": " + std::to_string(chars) + " characters; the limit is " +
                                   max);
  return Status();
}

Status CheckIdempotencyKey(std::string_view field, std::string_view key) {
  const std::string f(field);
  if (key.empty())
    return Status::InvalidArgument(f + ": must not be empty (1-128 printable ASCII characters)");
  for (std::size_t i = 0; i < key.size(); ++i) {
    const auto c = static_cast<unsigned char>(key[i]);
    if (c < 0x21 || c > 0x7E)
      return Status::InvalidArgument(f +
                                     ": only printable ASCII without spaces (0x21-0x7E); byte 0x" +
                                     Hex(c, 2) + " at offset " + std::to_string(i) + " is not");
  }
  if (key.size() > kMaxIdempotencyKey)
    return Status::InvalidArgument(f + ": " + std::to_string(key.size()) +
                                   " characters; the limit is " +
                                   std::to_string(kMaxIdempotencyKey));
  return Status();
}

std::string Quote(std::string_view value, std::size_t max_chars) {
  std::string out = "'";
  std::size_t chars = 0, i = 0, len = 0;
  for (; i < value.size() && chars < max_chars; i += len, ++chars) {
    const char32_t cp = Decode(value, i, &len);
    AppendEscaped(out, value, i, len, cp, '\'');
  }
  out += '\'';
  if (i < value.size()) out += "...";
  return out;
}

std::string EscapeText(std::string_view value, char quote) { return Escape(value, quote, true); }

std::string EscapeControls(std::string_view text) { return Escape(text, 0, false); }

std::string TruncateChars(std::string_view text, std::size_t max_chars) {
  std::size_t i = 0, len = 0;
  for (std::size_t chars = 0; i < text.size() && chars < max_chars; i += len, ++chars)
    Decode(text, i, &len);
  return std::string(text.substr(0, i));
}

bool NeedsEscape(std::string_view value) {
  for (std::size_t i = 0, len = 0; i < value.size(); i += len) {
    const char32_t cp = Decode(value, i, &len);
    if (cp == kInvalid || cp == '\\' || IsControl(cp) || IsInvisibleLayout(cp)) return true;
  }
  return false;
}

}  // namespace csops

// The shared validators of common/ (text.h, time_check.h, ParseIsoDate) on any bytes. First
// byte: a character limit (and single/multi-line); the rest: the text. Properties checked:
//  * CheckText accepts only valid UTF-8 within the limit, without control characters;
//  * its refusals, Quote and EscapeText never hold a raw control character or invalid UTF-8;
//  * Quote and TruncateChars never cut a character;
//  * a date that parses is written back exactly as typed (strict YYYY-MM-DD);
//  * a Timestamp that passes has protobuf's nanos and lies in the business window.
#include <algorithm>
#include <cstring>

#include "common/base/civil_date.h"
#include "common/base/text.h"
#include "common/grpc/time_check.h"

namespace {

void Require(bool ok) {
  if (!ok) __builtin_trap();
}

bool Clean(const std::string& s) {
  return csops::CountCodePoints(s).has_value() && csops::EscapeControls(s) == s;
}

bool HasControl(std::string_view s, bool multi) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    const bool allowed =
        multi && (c == '\t' || c == '\n' || (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n'));
    if ((c < 0x20 || c == 0x7F) && !allowed) return true;
    if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
        static_cast<unsigned char>(s[i + 1]) <= 0x9F)
      return true;  // U+0080-U+009F
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::size_t max = data[0] & 0x7F;
  const bool multi = data[0] & 0x80;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);

  const csops::TextLimit limit{max % 2 == 1, max,
                               multi ? csops::Lines::kMulti : csops::Lines::kSingle};
  const csops::Status s = csops::CheckText("field", text, limit);
  const auto chars = csops::CountCodePoints(text);
  if (s.ok()) {
    Require(chars.has_value() && *chars <= max && !HasControl(text, multi));
    Require(!text.empty() || !limit.required);
  } else {
    Require(s.message().rfind("field: ", 0) == 0 && Clean(s.message()));
  }
  Require(Clean(csops::Quote(text, max)));
  Require(Clean(csops::EscapeText(text, '"')));
  const std::string cut = csops::TruncateChars(text, max);
  Require(text.compare(0, cut.size(), cut) == 0);
  if (chars) Require(csops::CountCodePoints(cut).value_or(max + 1) <= max);
  const csops::Status key = csops::CheckIdempotencyKey("idempotency_key", text);
  Require(key.ok() ==
          (!text.empty() && text.size() <= 128 &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x21 && c <= 0x7E; })));
  Require(key.ok() || Clean(key.message()));

  auto day = csops::ParseIsoDate(text);
  if (day.ok()) Require(csops::FormatIsoDate(*day) == text);
  Require(day.ok() || Clean(day.status().message()));

  if (text.size() >= 12) {
    std::int64_t seconds;
    std::int32_t nanos;
    std::memcpy(&seconds, text.data(), sizeof seconds);
    std::memcpy(&nanos, text.data() + 8, sizeof nanos);
    google::protobuf::Timestamp t;
    t.set_seconds(seconds);
    t.set_nanos(nanos);
    auto at = csops::CheckTimestamp("send_after", t);
    if (at.ok()) {
      Require(nanos >= 0 && nanos <= 999'999'999);
      const auto w = csops::BusinessWindow();
      Require(*at >= w.earliest && *at < w.latest);
    } else {
      Require(Clean(at.status().message()));
    }
  }
  return 0;
}

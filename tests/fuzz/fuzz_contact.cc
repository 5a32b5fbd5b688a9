// The contact validator (common/base/contact.h) on arbitrary text: the first byte picks mobile,
// phone or e-mail, the rest is the contact. Never a crash; an accepted number is in its
// national form and normalizes to itself; an accepted e-mail address has exactly one '@' and
// no byte at or below space; a refusal names the field.
#include <string>

#include "common/base/contact.h"

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

void CheckRefusal(const csops::Status& s) {
  Check(s.code() == csops::StatusCode::kInvalidArgument && s.message().rfind("f: ", 0) == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t which = data[0] % 3;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  if (which == 2) {
    const csops::Status s = csops::contact::ValidateEmail(text, "f");
    if (!s.ok()) return CheckRefusal(s), 0;
    Check(text.find('@') != std::string::npos && text.find('@') == text.rfind('@'));
    for (char c : text) Check(static_cast<unsigned char>(c) > ' ');
    Check(text.size() <= 254);
    return 0;
  }
  auto r = which == 0 ? csops::contact::NormalizeMobile(text, "f")
                      : csops::contact::NormalizePhone(text, "f");
  if (!r.ok()) return CheckRefusal(r.status()), 0;
  Check(r->size() >= 9 && r->size() <= 10 && (*r)[0] == '0');
  for (char c : *r) Check(c >= '0' && c <= '9');
  if (which == 0) Check(csops::contact::IsMobile(*r));
  auto again = which == 0 ? csops::contact::NormalizeMobile(*r, "f")
                          : csops::contact::NormalizePhone(*r, "f");
  Check(again.ok() && *again == *r);
  return 0;
}

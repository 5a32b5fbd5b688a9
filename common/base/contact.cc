#include "common/base/contact.h"

#include <cstring>

namespace csops::contact {
namespace {

Status Bad(std::string_view field, std::string_view why) {
  return Status::InvalidArgument(std::string(field) + ": " + std::string(why));
}

constexpr char kMobileForm[] = "a mobile number is 09xxxxxxxx or +886 9xxxxxxxx";

// National digits ("0..." form) of a Taiwan number, or a reason it is not one.
Result<std::string> NationalDigits(std::string_view text, std::string_view field) {
  std::string digits;
  bool plus = false;
  for (char c : text) {
    if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')') continue;
    if (c == '+' && digits.empty() && !plus) {
      plus = true;
      continue;
    }
    if (c < '0' || c > '9')
      return Bad(field, "a phone number has only digits, a leading +, spaces, '-', '.' and ()");
    digits += c;
  }
  if (digits.empty()) return Bad(field, "must not be empty");
  if (plus) {
    if (digits.compare(0, 3, "886") != 0)
      return Bad(field, "only Taiwan numbers (+886) are supported");
    // "+886 0912..." (the trunk 0 kept after the country code) is common and unambiguous.
    const std::size_t rest = digits.size() > 3 && digits[3] == '0' ? 4 : 3;
    digits = "0" + digits.substr(rest);
  }
  if (digits.size() > 20) return Bad(field, "too many digits for a phone number");
  return digits;
}

bool AllOf(std::string_view s, bool (*pred)(char)) {
  for (char c : s)
    if (!pred(c)) return false;
  return true;
}
bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLocalChar(char c) { return IsAlnum(c) || std::strchr("!#$%&'*+/=?^_`{|}~-.", c); }
bool IsLabelChar(char c) { return IsAlnum(c) || c == '-'; }

}  // namespace

bool IsMobile(std::string_view national) {
  return national.size() == 10 && national.substr(0, 2) == "09";
}

Result<std::string> NormalizeMobile(std::string_view text, std::string_view field) {
  auto digits = NationalDigits(text, field);
  if (!digits.ok()) return digits.status();
  if (IsMobile(*digits)) return *digits;
  if (digits->size() >= 9 && digits->size() <= 10 && (*digits)[0] == '0' && (*digits)[1] >= '2' &&
      (*digits)[1] <= '8')
    return Bad(field, std::string("a landline cannot receive SMS; ") + kMobileForm);
  return Bad(field, std::string("not a mobile number; ") + kMobileForm);
}

Result<std::string> NormalizePhone(std::string_view text, std::string_view field) {
  auto digits = NationalDigits(text, field);
  if (!digits.ok()) return digits.status();
  if (IsMobile(*digits)) return *digits;
  if (digits->size() >= 9 && digits->size() <= 10 && (*digits)[0] == '0' && (*digits)[1] >= '2' &&
      (*digits)[1] <= '8')
    return *digits;
  return Bad(field,
             "not a Taiwan phone number (a mobile 09xxxxxxxx, or a landline with its area code, "
             "e.g. 02-2345-6789)");
}

Status ValidateEmail(std::string_view text, std::string_view field) {
  if (text.empty()) return Bad(field, "must not be empty");
  if (text.size() > 254) return Bad(field, "an e-mail address has at most 254 characters");
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80)
      return Bad(field,
                 "only ASCII e-mail addresses are supported (write the domain in "
                 "its xn-- form)");
    if (u <= ' ' || u == 0x7f) return Bad(field, "an e-mail address has no spaces");
  }
  const auto at = text.find('@');
  if (at == std::string_view::npos) return Bad(field, "not an e-mail address (no '@')");
  if (text.find('@', at + 1) != std::string_view::npos)
    return Bad(field, "not an e-mail address (more than one '@')");
  const std::string_view local = text.substr(0, at), domain = text.substr(at + 1);
  if (local.empty() || local.size() > 64)
    return Bad(field, "the part before '@' must be 1-64 characters");
  if (!AllOf(local, IsLocalChar))
    return Bad(field, "the part before '@' has a character an e-mail address cannot have");
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos)
    return Bad(field, "the part before '@' has a dot first, last or doubled");
  if (domain.empty()) return Bad(field, "not an e-mail address (no domain after '@')");
  std::size_t labels = 0, start = 0;
  std::string_view last;
  for (;;) {
    const std::size_t dot = domain.find('.', start);
    const std::string_view label =
        domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || !AllOf(label, IsLabelChar) || label.front() == '-' ||
        label.back() == '-')
      return Bad(field,
                 "the domain must be labels of letters, digits and '-' joined by dots, "
                 "e.g. example.com.tw");
    ++labels;
    last = label;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (labels < 2 || last.size() < 2 || AllOf(last, IsDigit))
    return Bad(field, "the domain needs a top-level part, e.g. example.com.tw");
  return Status();
}

}  // namespace csops::contact

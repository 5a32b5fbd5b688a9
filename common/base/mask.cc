#include "common/base/mask.h"

#include <cctype>
#include <vector>

namespace csops {
namespace {

// Splits into UTF-8 code points; a malformed byte becomes its own unit.
std::vector<std::string_view> CodePoints(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80           ? 1
                      : (c >> 5) == 0x6  ? 2
                      : (c >> 4) == 0xE  ? 3
                      : (c >> 3) == 0x1E ? 4
                                         : 1;
    if (i + len > s.size()) len = 1;
    out.push_back(s.substr(i, len));
    i += len;
  }
  return out;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsEmailLocalChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '%' ||
         c == '+' || c == '-';
}

bool IsEmailDomainChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
}

}  // namespace

std::string MaskPhone(std::string_view phone) {
  std::string digits;
  for (char c : phone)
    if (IsDigit(c)) digits += c;
  if (digits.size() < 7) return std::string(digits.size() ? digits.size() : 3, '*');
  return std::string(digits.size() - 3, '*') + digits.substr(digits.size() - 3);
}

std::string MaskEmail(std::string_view email) {
  auto at = email.rfind('@');
  if (at == std::string_view::npos || at == 0) return "***";
  auto first = CodePoints(email.substr(0, at));
  std::string out(first.front());
  out += "***";
  out += email.substr(at);
  return out;
}

std::string MaskName(std::string_view name) {
  std::string out;
  auto cps = CodePoints(name);
  // Words are separated by spaces; CJK names are one word.
  std::size_t word_start = 0;
  for (std::size_t i = 0; i <= cps.size(); ++i) {
    if (i < cps.size() && cps[i] != " ") continue;
    std::size_t len = i - word_start;
    bool cjk = len > 0 && cps[word_start].size() > 1;
    for (std::size_t k = 0; k < len; ++k) {
      bool keep = k == 0 || (cjk && len >= 3 && k == len - 1);
      out += keep ? std::string(cps[word_start + k]) : std::string("*");
    }
    if (i < cps.size()) out += ' ';
    word_start = i + 1;
  }
  return out;
}

std::string RedactPersonalData(std::string_view text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    // E-mail: find '@' with local chars before and a dotted domain after.
    if (text[i] == '@') {
      std::size_t ls = out.size();
      while (ls > 0 && IsEmailLocalChar(out[ls - 1])) --ls;
      std::size_t de = i + 1;
      while (de < text.size() && IsEmailDomainChar(text[de])) ++de;
      std::string_view domain = text.substr(i + 1, de - i - 1);
      if (ls < out.size() && domain.find('.') != std::string_view::npos) {
        std::string local = out.substr(ls);
        out.resize(ls);
        out += MaskEmail(local + "@" + std::string(domain));
        i = de;
        continue;
      }
    }
    // Phone-like: '+'? digit (digit|'-'|' ')* with 7+ digits in total.
    if (IsDigit(text[i]) || (text[i] == '+' && i + 1 < text.size() && IsDigit(text[i + 1]))) {
      std::size_t j = i + (text[i] == '+' ? 1 : 0);
      std::size_t end = j, digits = 0;
      while (j < text.size() && (IsDigit(text[j]) || text[j] == '-' || text[j] == ' ')) {
        if (IsDigit(text[j])) {
          ++digits;
          end = j + 1;
        }
        ++j;
      }
      if (digits >= 7) {
        out += MaskPhone(text.substr(i, end - i));
        i = end;
        continue;
      }
      out.append(text.substr(i, end - i));
      i = end;
      continue;
    }
    out += text[i++];
  }
  return out;
}

}  // namespace csops

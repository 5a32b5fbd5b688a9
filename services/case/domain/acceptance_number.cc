#include "services/case/domain/acceptance_number.h"

#include <cctype>
#include <cstdio>

#include "common/base/text.h"

namespace csops::cases {
namespace {

// The Damm operation table: a weakly totally anti-symmetric quasigroup of order 10.
constexpr int kDamm[10][10] = {{0, 3, 1, 7, 5, 9, 8, 6, 4, 2}, {7, 0, 9, 2, 1, 5, 4, 8, 6, 3},
                               {4, 2, 0, 6, 8, 7, 1, 3, 5, 9}, {1, 7, 5, 0, 9, 8, 3, 4, 2, 6},
                               {6, 1, 2, 3, 0, 4, 5, 9, 7, 8}, {3, 6, 7, 4, 2, 0, 9, 5, 8, 1},
                               {5, 8, 6, 9, 7, 2, 0, 1, 3, 4}, {8, 9, 4, 5, 3, 6, 2, 0, 1, 7},
                               {9, 4, 3, 8, 6, 1, 7, 2, 0, 5}, {2, 5, 8, 1, 4, 3, 6, 7, 9, 0}};

int DammInterim(std::string_view digits) {
  int interim = 0;
  for (char c : digits) interim = kDamm[interim][c - '0'];
  return interim;
}

bool IsBranchCode(std::string_view code) {
  if (code.size() < 2 || code.size() > 4) return false;
  for (char c : code)
    if (c < 'A' || c > 'Z') return false;
  return true;
}

}  // namespace

int DammCheckDigit(std::string_view digits) { return DammInterim(digits); }

bool DammValid(std::string_view digits_with_check) {
  return !digits_with_check.empty() && DammInterim(digits_with_check) == 0;
}

std::string AcceptanceNumber::Compact() const {
  char digits[16];
  std::snprintf(digits, sizeof digits, "%02d%02d%02d%04d", static_cast<int>(day.year() % 100),
                day.month(), day.day(), sequence);
  return branch_code + digits + std::to_string(DammCheckDigit(digits));
}

std::string AcceptanceNumber::Display() const {
  const std::string c = Compact();
  const std::size_t b = branch_code.size();
  return c.substr(0, b) + "-" + c.substr(b, 6) + "-" + c.substr(b + 6, 4) + "-" + c.substr(b + 10);
}

Result<AcceptanceNumber> MakeAcceptanceNumber(std::string branch_code, absl::CivilDay day,
                                              int sequence) {
  if (!IsBranchCode(branch_code))
    return Status::InvalidArgument("branch code '" + branch_code + "' must be 2-4 letters A-Z");
  if (sequence < 1 || sequence > 9999)
    return Status::OutOfRange("acceptance sequence " + std::to_string(sequence) +
                              " is outside 1-9999 for one branch and day");
  if (day.year() < 2000 || day.year() > 2099)
    return Status::OutOfRange("acceptance day must be in 2000-2099");
  return AcceptanceNumber{std::move(branch_code), day, sequence};
}

Result<AcceptanceNumber> ParseAcceptanceNumber(std::string_view text) {
  std::string compact;
  for (char c : text) {
    if (c == '-' || c == ' ') continue;
    compact += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  const Status bad = Status::InvalidArgument("acceptance_number: " + Quote(text, 40) +
                                             " is not an acceptance number like TS-260212-0042-7");
  std::size_t letters = 0;
  while (letters < compact.size() && compact[letters] >= 'A' && compact[letters] <= 'Z') ++letters;
  if (!IsBranchCode(compact.substr(0, letters)) || compact.size() != letters + 11) return bad;
  const std::string digits = compact.substr(letters);
  for (char c : digits)
    if (c < '0' || c > '9') return bad;
  if (!DammValid(digits))
    return Status::InvalidArgument(
        "acceptance_number: check digit does not match; please "
        "re-read the number on the receipt");
  const int yy = std::stoi(digits.substr(0, 2)), mm = std::stoi(digits.substr(2, 2)),
            dd = std::stoi(digits.substr(4, 2)), seq = std::stoi(digits.substr(6, 4));
  absl::CivilDay day(2000 + yy, mm, dd);
  if (day.month() != mm || day.day() != dd || seq == 0) return bad;
  return AcceptanceNumber{compact.substr(0, letters), day, seq};
}

std::string DisplayAcceptanceNumber(std::string_view stored) {
  auto n = ParseAcceptanceNumber(stored);
  return n.ok() ? n->Display() : std::string(stored);
}

}  // namespace csops::cases

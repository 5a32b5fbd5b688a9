// Acceptance numbers (受理號碼): what an applicant reads over the phone to ask about a case.
//
// Format: <branch code><YYMMDD><4-digit sequence><Damm check digit>, e.g. "TS2602120042" + "7",
// shown grouped as "TS-260212-0042-7". The branch code is 2-4 upper-case letters from the
// config; the date is the acceptance day in the branch's zone; the sequence is per branch and
// day, from 0001. The Damm check digit over the ten digits catches every single-digit typo and
// every transposition of adjacent digits, so a mistyped number is refused before any look-up.
#pragma once

#include <absl/time/civil_time.h>

#include <string>
#include <string_view>

#include "common/base/status.h"

namespace csops::cases {

// The Damm check digit of a string of decimal digits. REQUIRES: only '0'-'9'.
int DammCheckDigit(std::string_view digits);
// True if the last digit is the Damm check digit of the others.
bool DammValid(std::string_view digits_with_check);

struct AcceptanceNumber {
  std::string branch_code;  // "TS"
  absl::CivilDay day;
  int sequence = 0;  // 1-9999

  // "TS26021200427" (no separators; what is stored and compared).
  std::string Compact() const;
  // "TS-260212-0042-7" (what is printed on the receipt).
  std::string Display() const;
};

// Builds the number; kOutOfRange when sequence is outside 1-9999 (a branch's daily limit).
Result<AcceptanceNumber> MakeAcceptanceNumber(std::string branch_code, absl::CivilDay day,
                                              int sequence);
// Parses either form, ignoring '-' and spaces and case. kInvalidArgument (naming
// `acceptance_number`) when malformed or when the check digit does not match.
Result<AcceptanceNumber> ParseAcceptanceNumber(std::string_view text);
// The printed form of a stored (compact) number, for every message that names a case; `stored`
// itself if it does not parse.
std::string DisplayAcceptanceNumber(std::string_view stored);

}  // namespace csops::cases

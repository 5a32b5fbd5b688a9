// Look-up codes: the secret printed next to the acceptance number (and in the receipt's QR
// code) that lets the public see a case's progress.
//
// A code is 10 characters from a 31-letter alphabet without look-alikes (no 0/O, 1/I/L), drawn
// from the kernel's CSPRNG: about 49 bits, read out as two groups of five. Only a salted SHA-256 of
// it is stored, so a copy of the database does not reveal codes.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace csops::cases {

inline constexpr char kLookupAlphabet[] = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
inline constexpr int kLookupCodeLength = 10;

// A fresh code. kUnavailable if the kernel's random source fails.
Result<std::string> GenerateLookupCode();
// A fresh 16-byte salt as hex.
Result<std::string> GenerateSalt();
// Upper-cases and drops '-' and spaces, so "abcde-fghjk" and "ABCDEFGHJK" are the same code.
std::string NormalizeLookupCode(std::string_view code);
// Hex SHA-256 of salt + normalized code.
std::string HashLookupCode(std::string_view code, std::string_view salt_hex);
// Constant-time comparison of HashLookupCode(code, salt) with `stored_hash`.
bool LookupCodeMatches(std::string_view code, std::string_view salt_hex,
                       std::string_view stored_hash);

}  // namespace csops::cases

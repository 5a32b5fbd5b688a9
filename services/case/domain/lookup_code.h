// Look-up codes: the secret printed next to the acceptance number (and in the receipt's QR
// code) that lets the public see a case's progress.
//
// A code is 10 characters from a 31-letter alphabet without look-alikes (no 0/O, 1/I/L), about
// 49.5 bits, read out as two groups of five. It is never stored. It is derived, as an
// HMAC-SHA256 under the office's LookupSecret, from the CreateCase idempotency key and the
// acceptance number, so a retried CreateCase gets the same code without anyone keeping it.
// case.db keeps only a verifier, itself an HMAC under the same secret: a copy of case.db without
// the secret (a file outside the database) allows no offline guessing at all.
//
// Verifier forms (the `lookup_hash` column):
//   "hmac1:<hex>"         HMAC(secret, code, acceptance number): every case since schema 6
//   "hmac1-sha256:<hex>"  HMAC(secret, old verifier): a case from before schema 6 whose code
//                         was no longer kept; the code is checked the old way (salted SHA-256)
//                         and the result under the secret
// Thread safety: everything here is a pure function of its arguments.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "common/base/status.h"

namespace csops::cases {

inline constexpr char kLookupAlphabet[] = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
inline constexpr int kLookupCodeLength = 10;

// The office's key for look-up codes: 32 random bytes, kept as 64 hex digits in a file of the
// data directory (lookup_secret_file.h). A value type; copying copies the key.
class LookupSecret {
 public:
  static constexpr std::size_t kBytes = 32;
  // A fresh key from the kernel's CSPRNG; kUnavailable if it fails.
  static Result<LookupSecret> Generate();
  // From exactly 64 hex digits (either case); InvalidArgument otherwise.
  static Result<LookupSecret> FromHex(std::string_view hex);
  std::string Hex() const;  // 64 lower-case hex digits
  // HMAC-SHA256 of `message` under this key, raw 32 bytes.
  std::array<unsigned char, 32> Mac(std::string_view message) const;

 private:
  LookupSecret() = default;
  std::array<unsigned char, kBytes> key_{};
};

// The code of the case that CreateCase with `idempotency_key` registered as `number` (compact
// acceptance number). Deterministic; every letter is equally likely.
std::string DeriveLookupCode(const LookupSecret& secret, std::string_view idempotency_key,
                             std::string_view number);
// The verifier case.db keeps for `code` of case `number`: "hmac1:<64 hex>".
std::string LookupVerifier(const LookupSecret& secret, std::string_view code,
                           std::string_view number);
// A pre-schema-6 verifier (hex salted SHA-256) put under the secret: "hmac1-sha256:<64 hex>".
std::string WrapLegacyVerifier(const LookupSecret& secret, std::string_view legacy_hash);
// True if `code` (any case, dashes and spaces ignored) is the code of case `number` whose
// stored verifier is `stored` (either form above; `salt_hex` is used by the legacy form only).
// Any other form matches nothing. Compares in constant time.
bool LookupCodeMatches(const LookupSecret& secret, std::string_view code, std::string_view number,
                       std::string_view salt_hex, std::string_view stored);
// A digest that identifies the key without revealing it (case.db keeps it, so start-up can
// refuse a key that is not the one the verifiers were made with).
std::string LookupSecretCheck(const LookupSecret& secret);

// A fresh random code (kUnavailable if the kernel's random source fails). Tests and tools; a
// case's code comes from DeriveLookupCode.
Result<std::string> GenerateLookupCode();
// Upper-cases and drops '-' and spaces, so "abcde-fghjk" and "ABCDEFGHJK" are the same code.
std::string NormalizeLookupCode(std::string_view code);
// The pre-schema-6 verifier: hex SHA-256 of salt + normalized code. Only to check wrapped
// legacy verifiers (and to build old databases in tests).
std::string HashLookupCode(std::string_view code, std::string_view salt_hex);

}  // namespace csops::cases

#include "services/case/domain/lookup_code.h"

#include <cctype>

#include "common/base/digest.h"

namespace csops::cases {
namespace {

constexpr std::string_view kVerifierPrefix = "hmac1:";
constexpr std::string_view kLegacyPrefix = "hmac1-sha256:";

std::string Hex(const unsigned char* data, std::size_t n) { return HexLower(data, n); }

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool SameText(std::string_view a, std::string_view b) { return ConstantTimeEqual(a, b); }

}  // namespace

Result<LookupSecret> LookupSecret::Generate() {
  LookupSecret s;
  CSOPS_RETURN_IF_ERROR(FillRandom(s.key_.data(), s.key_.size()));
  return s;
}

Result<LookupSecret> LookupSecret::FromHex(std::string_view hex) {
  if (hex.size() != 2 * kBytes)
    return Status::InvalidArgument("look-up secret: expected " + std::to_string(2 * kBytes) +
                                   " hex digits, found " + std::to_string(hex.size()) +
                                   " characters");
  LookupSecret s;
  for (std::size_t i = 0; i < kBytes; ++i) {
    const int hi = HexDigit(hex[2 * i]);
    const int lo = HexDigit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return Status::InvalidArgument("look-up secret: character " + std::to_string(2 * i + 1) +
                                     " is not a hex digit");
    s.key_[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return s;
}

std::string LookupSecret::Hex() const { return cases::Hex(key_.data(), key_.size()); }

std::array<unsigned char, 32> LookupSecret::Mac(std::string_view message) const {
  return HmacSha256(key_.data(), key_.size(), message);
}

std::string DeriveLookupCode(const LookupSecret& secret, std::string_view idempotency_key,
                             std::string_view number) {
  constexpr unsigned kAlphabetSize = sizeof(kLookupAlphabet) - 1;  // 31
  std::string code;
  // Rejection sampling keeps every letter equally likely: bytes >= 248 (8 x 31) are skipped.
  // One block almost always holds 10 usable bytes; the next blocks count up.
  for (std::uint32_t block = 0; static_cast<int>(code.size()) < kLookupCodeLength; ++block) {
    const std::string counter = std::to_string(block);
    const auto mac = secret.Mac(Framed({"csops lookup code v1", counter, idempotency_key, number}));
    for (unsigned char b : mac) {
      if (b >= 8 * kAlphabetSize) continue;
      code += kLookupAlphabet[b % kAlphabetSize];
      if (static_cast<int>(code.size()) == kLookupCodeLength) break;
    }
  }
  return code;
}

std::string LookupVerifier(const LookupSecret& secret, std::string_view code,
                           std::string_view number) {
  const auto mac =
      secret.Mac(Framed({"csops lookup verifier v1", NormalizeLookupCode(code), number}));
  return std::string(kVerifierPrefix) + Hex(mac.data(), mac.size());
}

std::string WrapLegacyVerifier(const LookupSecret& secret, std::string_view legacy_hash) {
  const auto mac = secret.Mac(Framed({"csops lookup legacy verifier v1", legacy_hash}));
  return std::string(kLegacyPrefix) + Hex(mac.data(), mac.size());
}

bool LookupCodeMatches(const LookupSecret& secret, std::string_view code, std::string_view number,
                       std::string_view salt_hex, std::string_view stored) {
  if (stored.substr(0, kLegacyPrefix.size()) == kLegacyPrefix)
    return SameText(WrapLegacyVerifier(secret, HashLookupCode(code, salt_hex)), stored);
  if (stored.substr(0, kVerifierPrefix.size()) == kVerifierPrefix)
    return SameText(LookupVerifier(secret, code, number), stored);
  return false;
}

std::string LookupSecretCheck(const LookupSecret& secret) {
  const auto mac = secret.Mac(Framed({"csops lookup secret check v1"}));
  return Hex(mac.data(), mac.size());
}

Result<std::string> GenerateLookupCode() {
  constexpr unsigned kAlphabetSize = sizeof(kLookupAlphabet) - 1;  // 31
  std::string code;
  while (static_cast<int>(code.size()) < kLookupCodeLength) {
    unsigned char buf[32];
    CSOPS_RETURN_IF_ERROR(FillRandom(buf, sizeof buf));
    for (unsigned char b : buf) {
      if (b >= 8 * kAlphabetSize) continue;
      code += kLookupAlphabet[b % kAlphabetSize];
      if (static_cast<int>(code.size()) == kLookupCodeLength) break;
    }
  }
  return code;
}

std::string NormalizeLookupCode(std::string_view code) {
  std::string out;
  for (char c : code) {
    if (c == '-' || c == ' ') continue;
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string HashLookupCode(std::string_view code, std::string_view salt_hex) {
  std::string salted(salt_hex);
  salted += NormalizeLookupCode(code);
  const Sha256Digest digest = Sha256(salted);
  return Hex(digest.data(), digest.size());
}

}  // namespace csops::cases

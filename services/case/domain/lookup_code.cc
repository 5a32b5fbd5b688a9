#include "services/case/domain/lookup_code.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/random.h>

#include <cctype>
#include <cerrno>
#include <cstring>

namespace csops::cases {
namespace {

Status FillRandom(unsigned char* out, std::size_t n) {
  std::size_t got = 0;
  while (got < n) {
    ssize_t r = getrandom(out + got, n - got, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      return Status::Unavailable(std::string("random source failed: ") + std::strerror(errno));
    }
    got += static_cast<std::size_t>(r);
  }
  return Status();
}

std::string Hex(const unsigned char* data, std::size_t n) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out += kHex[data[i] >> 4];
    out += kHex[data[i] & 0xF];
  }
  return out;
}

}  // namespace

Result<std::string> GenerateLookupCode() {
  constexpr unsigned kAlphabetSize = sizeof(kLookupAlphabet) - 1;  // 31
  // Rejection sampling keeps every letter equally likely: bytes >= 248 (8 x 31) are redrawn.
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

Result<std::string> GenerateSalt() {
  unsigned char salt[16];
  CSOPS_RETURN_IF_ERROR(FillRandom(salt, sizeof salt));
  return Hex(salt, sizeof salt);
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
  const std::string normalized = NormalizeLookupCode(code);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx, salt_hex.data(), salt_hex.size());
  EVP_DigestUpdate(ctx, normalized.data(), normalized.size());
  EVP_DigestFinal_ex(ctx, digest, &len);
  EVP_MD_CTX_free(ctx);
  return Hex(digest, len);
}

bool LookupCodeMatches(std::string_view code, std::string_view salt_hex,
                       std::string_view stored_hash) {
  const std::string h = HashLookupCode(code, salt_hex);
  return h.size() == stored_hash.size() &&
         CRYPTO_memcmp(h.data(), stored_hash.data(), h.size()) == 0;
}

}  // namespace csops::cases

#include "common/auth/api_key.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>

namespace csops::auth {
namespace {

constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Standard base64 (padding optional); false on any other character.
bool DecodeBase64(const std::string& in, std::string* out) {
  unsigned buffer = 0;
  int bits = 0;
  std::size_t end = in.size();
  while (end > 0 && in[end - 1] == '=') --end;
  for (std::size_t i = 0; i < end; ++i) {
    const int v = Base64Value(in[i]);
    if (v < 0) return false;
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return true;
}

}  // namespace

std::string Sha256Hex(const std::string& text) {
  // Fetched once: OpenSSL 3 would otherwise look the algorithm up (under a lock) on every call,
  // and every authenticated RPC hashes its key.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, sha256, nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(2 * length, '0');
  for (unsigned int i = 0; i < length; ++i) {
    hex[2 * i] = kHex[digest[i] >> 4];
    hex[2 * i + 1] = kHex[digest[i] & 0xF];
  }
  return hex;
}

std::string NewApiKey() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    std::fputs("csops: the system random source failed\n", stderr);
    std::abort();
  }
  std::string key = "csk_";
  unsigned buffer = 0;
  int bits = 0;
  for (unsigned char b : bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      key += kBase64Url[(buffer >> bits) & 0x3F];
    }
  }
  if (bits > 0) key += kBase64Url[(buffer << (6 - bits)) & 0x3F];
  return key;
}

Result<std::string> KeyFromAuthorization(const std::string& value) {
  if (value.empty()) return Status::NotFound("authorization: no API key");
  const std::size_t space = value.find(' ');
  if (space == std::string::npos)
    return Status::Unauthenticated("authorization: expected 'Bearer <key>'");
  std::string scheme = value.substr(0, space);
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::size_t start = value.find_first_not_of(' ', space);
  const std::string rest = start == std::string::npos ? std::string() : value.substr(start);
  if (scheme == "bearer") {
    if (rest.empty() || rest.size() > 256)
      return Status::Unauthenticated("authorization: the key is empty or too long");
    return rest;
  }
  if (scheme == "basic") {
    std::string decoded;
    if (rest.size() > 512 || !DecodeBase64(rest, &decoded))
      return Status::Unauthenticated("authorization: Basic credentials are not base64");
    const std::size_t colon = decoded.find(':');
    if (colon == std::string::npos || colon + 1 == decoded.size())
      return Status::Unauthenticated("authorization: Basic credentials carry no key");
    return decoded.substr(colon + 1);
  }
  return Status::Unauthenticated("authorization: unsupported scheme (use Bearer)");
}

}  // namespace csops::auth

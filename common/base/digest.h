// The cryptographic primitives the domain needs, behind plain types so domain code never
// includes OpenSSL: SHA-256, HMAC-SHA-256, the kernel's random source, a comparison whose time
// does not depend on where two texts differ, and lower-case hex.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "common/base/status.h"

namespace csops {

using Sha256Digest = std::array<unsigned char, 32>;

Sha256Digest Sha256(std::string_view data);
Sha256Digest HmacSha256(const unsigned char* key, std::size_t key_size, std::string_view message);
// Fills `out` from getrandom(2); kUnavailable when the random source fails.
Status FillRandom(unsigned char* out, std::size_t n);
// True when a == b; takes the same time for every pair of texts of the same size.
bool ConstantTimeEqual(std::string_view a, std::string_view b);
std::string HexLower(const unsigned char* data, std::size_t n);

}  // namespace csops

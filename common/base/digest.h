// The cryptographic primitives the domain needs, behind plain types so domain code never
// includes OpenSSL: SHA-256, HMAC-SHA-256, the kernel's random source, a comparison whose time
// does not depend on where two texts differ, lower-case hex, and length-framed messages.
#pragma once

#include <array>
#include <cstddef>
#include <initializer_list>
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
// Each part after its 4-byte big-endian length, so no two different lists of parts give the
// same message (what a MAC over several fields must be taken of).
std::string Framed(std::initializer_list<std::string_view> parts);

}  // namespace csops

// API keys: making them, hashing them, and reading them from request headers.
//
// A key is "csk_" followed by 43 base64url characters (32 random bytes from OpenSSL's
// RAND_bytes). Only its SHA-256 (lower-case hex) is ever stored, in the config's auth.keys.
// Clients send it as "authorization: Bearer <key>" (gRPC metadata or HTTP header); HTTP also
// accepts "Basic base64(<any user>:<key>)" so browsers and webhook senders can use it.
#pragma once

#include <string>

#include "common/base/status.h"

namespace csops::auth {

// Lower-case hex SHA-256 of `text`.
std::string Sha256Hex(const std::string& text);

// A fresh random key. Aborts only if the system's random source fails.
std::string NewApiKey();

// The key carried by an authorization value: "Bearer <key>" or "Basic <base64(user:key)>".
// NotFound when `value` is empty; Unauthenticated when it is malformed.
Result<std::string> KeyFromAuthorization(const std::string& value);

}  // namespace csops::auth

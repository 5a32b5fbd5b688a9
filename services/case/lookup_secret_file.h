// The file that holds the office's look-up secret: <data dir>/case-lookup.key, 64 hex digits
// and a newline, readable by csopsd's user only. It is created at the first start; it is what
// makes the verifiers in case.db useless to anyone with a copy of the database alone, so it
// lives outside it and must be backed up together with the data directory (without it no
// look-up code of an existing case can be checked again).
#pragma once

#include <string>

#include "common/base/status.h"
#include "services/case/domain/lookup_code.h"

namespace csops::cases {

inline constexpr char kLookupSecretFileName[] = "case-lookup.key";

struct LoadedLookupSecret {
  LookupSecret secret;
  bool created = false;  // the file did not exist and was written now
};

// Reads the secret at `path`, or creates it (mode 0600, written to a temporary file, synced and
// linked in place, so a crash never leaves half a key) when there is no file. Refused, naming
// `path`: FailedPrecondition when group or others may read or write it or it is not a regular
// file; InvalidArgument when it does not hold exactly 64 hex digits (and an optional newline);
// Unavailable when it cannot be read or written.
Result<LoadedLookupSecret> LoadOrCreateLookupSecret(const std::string& path);

}  // namespace csops::cases

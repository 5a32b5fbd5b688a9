// What "the same request" means for an idempotency key of Send/SendBatch (the convention of
// proto/csops/type/v1/types.proto): the same key with the same request is the first answer, the
// same key with a different request is ALREADY_EXISTS.
//
// A request is compared by a fingerprint of its canonical form after Prepare (contacts in their
// normal form, the default locale filled in), so the same request written differently (e.g. a
// mobile with or without dashes) is the same request. Notifications stored before fingerprints
// were (schema version 2 and older, fingerprint empty) are compared on the fields they stored.
#pragma once

#include <string>

#include "services/notify/notify_engine.h"
#include "services/notify/store/notify_store.h"

namespace csops::notify {

// Lower-case hex SHA-256 of every field of the command that the key must keep constant: kind,
// locale, recipient, variables, policy mode and channels, send_after, urgent, plan step.
std::string SendFingerprint(const SendCommand& cmd);

// True when `cmd` (prepared) is the request that stored `n`.
bool SameSend(const NotificationRecord& n, const SendCommand& cmd, const std::string& fingerprint);

}  // namespace csops::notify

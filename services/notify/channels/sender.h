// One interface for every delivery channel's provider. A sender makes one blocking call to its
// provider (SMTP, HTTP) or writes one postcard, and classifies the outcome; it never retries
// (the dispatcher does, with back-off) and never touches the store.
#pragma once

#include "services/notify/domain/outgoing.h"

namespace csops::notify {

class ChannelSender {
 public:
  virtual ~ChannelSender() = default;
  // Thread-safe; called from dispatch workers.
  virtual SendOutcome Send(const OutgoingMessage& m) = 0;
  // Periodic housekeeping from the dispatcher's thread (e.g. closing postcard batches).
  virtual void Tick(Instant /*now*/) {}
};

}  // namespace csops::notify

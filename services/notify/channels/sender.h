// One interface for every delivery channel's provider. A sender makes one blocking call to its
// provider (SMTP, HTTP) or writes one postcard, and classifies the outcome; it never retries
// (the dispatcher does, with back-off) and never touches the store.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "services/notify/domain/notify_model.h"
#include "services/notify/domain/template.h"
#include "services/notify/notify_store.h"

namespace csops::notify {

struct OutgoingMessage {
  std::int64_t delivery_id = 0;
  // Stable across retries of one delivery, so providers that deduplicate (Mitake's clientid)
  // drop a resend after a crash.
  std::string client_id;
  Channel channel = Channel::kEmail;
  std::string kind;
  std::string locale;
  RecipientRecord recipient;
  RenderedMessage message;
  std::map<std::string, std::string> variables;
};

enum class OutcomeKind { kOk, kTransient, kPermanent };
std::string_view OutcomeName(OutcomeKind k);  // "ok", "transient", "permanent"

struct SendOutcome {
  OutcomeKind kind = OutcomeKind::kTransient;
  std::string provider_message_id;
  std::string error;                        // short, no personal data
  std::vector<std::string> invalid_tokens;  // app push: installations that are gone

  static SendOutcome Ok(std::string id) { return {OutcomeKind::kOk, std::move(id), "", {}}; }
  static SendOutcome Transient(std::string e) {
    return {OutcomeKind::kTransient, "", std::move(e), {}};
  }
  static SendOutcome Permanent(std::string e) {
    return {OutcomeKind::kPermanent, "", std::move(e), {}};
  }
};

class ChannelSender {
 public:
  virtual ~ChannelSender() = default;
  // Thread-safe; called from dispatch workers.
  virtual SendOutcome Send(const OutgoingMessage& m) = 0;
  // Periodic housekeeping from the dispatcher's thread (e.g. closing postcard batches).
  virtual void Tick(Instant /*now*/) {}
};

}  // namespace csops::notify

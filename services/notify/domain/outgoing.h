// One message handed to a channel's provider, and how the attempt ended. The channel senders
// (channels/sender.h) take and return these; the delivery policy decides what happens next.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "services/notify/domain/notify_model.h"
#include "services/notify/domain/records.h"
#include "services/notify/domain/template.h"

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

}  // namespace csops::notify

// Provider adapters over HTTP (see ProviderKind in proto/csops/config/v1/config.proto):
//
//   MitakeSmsSender   form POST username, password, dstaddr, smbody, clientid; the reply is
//                     key=value lines; statuscode 0, 1, 2 or 4 is accepted (msgid is the
//                     provider's id), any other code is a permanent error naming it.
//   JsonSmsSender     POST {"to","text","client_id"}; 2xx with {"id"} accepts.
//   VoiceSender       POST {"to","text","callback_url","client_id"}; 2xx with {"id"} accepts.
//   FcmSender         FCM HTTP v1, one request per installation token; UNREGISTERED or an
//                     invalid token is permanent for that token and reported for pruning.
//
// Common classification: no answer or a timeout, 408, 429 and 5xx are transient; other 4xx
// are permanent; a 2xx whose body cannot be understood is transient (the provider may or may
// not have taken it; the retry carries the same client id, which providers deduplicate).
#pragma once

#include "services/notify/channels/sender.h"

namespace csops::notify {

// The body of a 2xx answer: a Mitake-style key=value reply, and a JSON {"id": ...} reply.
// Any bytes give an outcome (fuzzed in tests/fuzz/).
SendOutcome ParseMitakeReply(const std::string& body);
SendOutcome ParseJsonIdReply(const std::string& body);

class MitakeSmsSender final : public ChannelSender {
 public:
  explicit MitakeSmsSender(ProviderModel p) : p_(std::move(p)) {}
  SendOutcome Send(const OutgoingMessage& m) override;

 private:
  ProviderModel p_;
};

class JsonSmsSender final : public ChannelSender {
 public:
  explicit JsonSmsSender(ProviderModel p) : p_(std::move(p)) {}
  SendOutcome Send(const OutgoingMessage& m) override;

 private:
  ProviderModel p_;
};

class VoiceSender final : public ChannelSender {
 public:
  explicit VoiceSender(ProviderModel p) : p_(std::move(p)) {}
  SendOutcome Send(const OutgoingMessage& m) override;

 private:
  ProviderModel p_;
};

class FcmSender final : public ChannelSender {
 public:
  explicit FcmSender(ProviderModel p) : p_(std::move(p)) {}
  SendOutcome Send(const OutgoingMessage& m) override;

 private:
  ProviderModel p_;
};

}  // namespace csops::notify

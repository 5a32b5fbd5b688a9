// E-mail over SMTP through libcurl: STARTTLS (required when `require_tls`, e.g. whenever AUTH
// is used), AUTH with username and password, a UTF-8 message with an RFC 2047 subject and a
// base64 text body. The Message-ID carries the client id and is the provider message id.
// SMTP 5xx answers are permanent, 4xx and connection problems transient.
#pragma once

#include "services/notify/channels/sender.h"

namespace csops::notify {

class SmtpSender final : public ChannelSender {
 public:
  explicit SmtpSender(ProviderModel p) : p_(std::move(p)) {}
  SendOutcome Send(const OutgoingMessage& m) override;

  // The message as sent (exposed for tests): headers, blank line, base64 body.
  static std::string Compose(const std::string& from, const std::string& to,
                             const OutgoingMessage& m, const std::string& message_id,
                             const std::string& date);

 private:
  ProviderModel p_;
};

}  // namespace csops::notify

#include "services/notify/domain/notify_model.h"

#include "common/base/civil_date.h"

namespace csops::notify {

std::string_view ChannelName(Channel c) {
  switch (c) {
    case Channel::kEmail:
      return "email";
    case Channel::kSms:
      return "sms";
    case Channel::kVoice:
      return "voice";
    case Channel::kAppPush:
      return "app_push";
    case Channel::kPostcard:
      return "postcard";
  }
  return "unknown";
}

std::optional<Channel> ParseChannel(std::string_view name) {
  for (Channel c : kAllChannels)
    if (ChannelName(c) == name) return c;
  return std::nullopt;
}

Channel ChannelOf(ProviderKind k) {
  switch (k) {
    case ProviderKind::kSmtp:
      return Channel::kEmail;
    case ProviderKind::kMitakeSms:
    case ProviderKind::kJsonSms:
      return Channel::kSms;
    case ProviderKind::kVoiceWebhook:
      return Channel::kVoice;
    case ProviderKind::kFcm:
      return Channel::kAppPush;
    case ProviderKind::kPostcardFile:
      return Channel::kPostcard;
  }
  return Channel::kEmail;
}

std::vector<const ProviderModel*> NotifyConfig::ProvidersFor(Channel c) const {
  std::vector<const ProviderModel*> out;
  for (const ProviderModel& p : providers)
    if (ChannelOf(p.kind) == c) out.push_back(&p);
  return out;
}

}  // namespace csops::notify

// Notify vocabulary and the notify configuration built from the config file: kinds with their
// templates, providers per channel, retry and quiet-hour rules. Pure; immutable after start-up.
#pragma once

#include <absl/time/time.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/clock.h"
#include "common/base/status.h"
#include "services/notify/domain/template.h"

namespace csops::notify {

enum class Channel { kEmail = 1, kSms, kVoice, kAppPush, kPostcard };
inline constexpr Channel kAllChannels[] = {Channel::kEmail, Channel::kSms, Channel::kVoice,
                                           Channel::kAppPush, Channel::kPostcard};
std::string_view ChannelName(Channel c);  // "email", "sms", "voice", "app_push", "postcard"
std::optional<Channel> ParseChannel(std::string_view name);

struct KindModel {
  std::string name;
  bool critical = false;
  std::map<std::string, MessageTemplate> templates;  // by locale: "zh-TW", "en"
};

enum class ProviderKind { kSmtp, kMitakeSms, kJsonSms, kVoiceWebhook, kFcm, kPostcardFile };
Channel ChannelOf(ProviderKind k);

struct ProviderModel {
  std::string name;
  ProviderKind kind = ProviderKind::kSmtp;
  std::string url, username, password, from, project_id, bearer_token, callback_url, directory,
      ca_file;
  bool require_tls = false;
  int batch_window_minutes = 60;
  double rate_per_second = 0;  // 0: unlimited
  int max_concurrency = 8;
  int timeout_ms = 10000;
};

// Minutes after local midnight; start == end means no quiet hours.
struct QuietHours {
  int start_minute = 21 * 60;
  int end_minute = 8 * 60;
};

struct PlanStepModel {
  std::string name;
  int delay_days = 0;
  std::string after_variable;  // a YYYY-MM-DD start variable the delay counts from, or ""
  std::string kind;            // notice kind, or "" for a task
  std::vector<Channel> channels;
  std::string task_case_type;  // case type of a staff task, or ""
};

struct PlanModel {
  std::string name;
  std::vector<PlanStepModel> steps;
};

struct NotifyConfig {
  std::map<std::string, KindModel> kinds;  // by name
  std::vector<ProviderModel> providers;    // in config order
  absl::TimeZone zone;
  QuietHours quiet;
  Duration retry_base = std::chrono::seconds(30);
  Duration retry_max = std::chrono::minutes(5);
  int max_attempts = 48;
  Duration ttl = std::chrono::hours(72);
  int workers = 16;
  int key_retention_days = 30;
  int max_batch_items = 1000000;
  std::map<std::string, PlanModel> plans;                // by name
  std::string relay_target;                              // "" = this process
  std::map<std::string, std::string> supervisor_emails;  // by branch id

  // Providers of a channel, in config order (empty: the channel is not available).
  std::vector<const ProviderModel*> ProvidersFor(Channel c) const;
};

}  // namespace csops::notify

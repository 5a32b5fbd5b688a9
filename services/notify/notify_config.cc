#include "services/notify/notify_config.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/base/civil_date.h"

namespace csops::notify {

namespace {

bool IsName(const std::string& s) {
  if (s.empty() || s.size() > 40) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

Result<ProviderModel> BuildProvider(const config::v1::ProviderConfig& p, const TextProtoFile& file,
                                    const std::string& at) {
  namespace cfg = config::v1;
  ProviderModel m;
  if (!IsName(p.name())) return file.Error(at + ".name", "'" + p.name() + "' must be [a-z0-9_]");
  m.name = p.name();
  switch (p.kind()) {
    case cfg::SMTP:
      m.kind = ProviderKind::kSmtp;
      break;
    case cfg::MITAKE_SMS:
      m.kind = ProviderKind::kMitakeSms;
      break;
    case cfg::JSON_SMS:
      m.kind = ProviderKind::kJsonSms;
      break;
    case cfg::VOICE_WEBHOOK:
      m.kind = ProviderKind::kVoiceWebhook;
      break;
    case cfg::FCM:
      m.kind = ProviderKind::kFcm;
      break;
    case cfg::POSTCARD_FILE:
      m.kind = ProviderKind::kPostcardFile;
      break;
    default:
      return file.Error(at + ".kind", "is required");
  }
  m.url = p.url();
  m.username = p.username();
  m.password = p.password();
  m.from = p.from();
  m.project_id = p.project_id();
  m.bearer_token = p.bearer_token();
  m.callback_url = p.callback_url();
  m.directory = p.directory();
  m.ca_file = p.ca_file();
  if (m.kind == ProviderKind::kPostcardFile) {
    if (m.directory.empty()) return file.Error(at + ".directory", "is required for POSTCARD_FILE");
  } else {
    const bool smtp = m.kind == ProviderKind::kSmtp;
    const std::string scheme = smtp ? "smtp" : "http";
    if (m.url.rfind(scheme, 0) != 0)
      return file.Error(at + ".url", "'" + m.url + "' must start with " + scheme +
                                         (smtp ? ":// or smtps://" : ":// or https://"));
  }
  if (m.kind == ProviderKind::kSmtp && m.from.empty())
    return file.Error(at + ".from", "is required for SMTP");
  if (m.kind == ProviderKind::kFcm && (m.project_id.empty() || m.bearer_token.empty()))
    return file.Error(at + ".project_id", "FCM needs project_id and bearer_token");
  if (m.kind == ProviderKind::kMitakeSms && (m.username.empty() || m.password.empty()))
    return file.Error(at + ".username", "MITAKE_SMS needs username and password");
  m.require_tls = p.has_require_tls() ? p.require_tls() : !m.username.empty();
  if (p.has_batch_window_minutes()) {
    if (p.batch_window_minutes() < 1 || p.batch_window_minutes() > 1440)
      return file.Error(at + ".batch_window_minutes", "must be between 1 and 1440");
    m.batch_window_minutes = p.batch_window_minutes();
  }
  if (p.has_rate_per_second()) {
    if (p.rate_per_second() < 0 || p.rate_per_second() > 100000)
      return file.Error(at + ".rate_per_second", "must be between 0 and 100000");
    m.rate_per_second = p.rate_per_second();
  }
  if (p.has_max_concurrency()) {
    if (p.max_concurrency() < 1 || p.max_concurrency() > 1024)
      return file.Error(at + ".max_concurrency", "must be between 1 and 1024");
    m.max_concurrency = p.max_concurrency();
  }
  if (p.has_timeout_ms()) {
    if (p.timeout_ms() < 100 || p.timeout_ms() > 120000)
      return file.Error(at + ".timeout_ms", "must be between 100 and 120000");
    m.timeout_ms = p.timeout_ms();
  }
  return m;
}

Result<std::string> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path.string() + ": cannot read");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Status SetInt(const TextProtoFile& file, const std::string& key, bool has, int value, int lo,
              int hi, int& out) {
  if (!has) return Status();
  if (value < lo || value > hi)
    return file.Error(key, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  out = value;
  return Status();
}

}  // namespace

Result<NotifyConfig> BuildNotifyConfig(const LoadedConfig& config) {
  NotifyConfig out;
  const TextProtoFile& file = *config.source;
  const auto& n = config.proto.notify();
  const std::string tz = n.time_zone().empty() ? "Asia/Taipei" : n.time_zone();
  if (!absl::LoadTimeZone(tz, &out.zone))
    return file.Error("notify.time_zone", "'" + tz + "' is not a known time zone");
  if (!n.quiet_start().empty() || !n.quiet_end().empty()) {
    auto start = ParseHhMm(n.quiet_start());
    auto end = ParseHhMm(n.quiet_end());
    if (!start.ok()) return file.Error("notify.quiet_start", start.status().message());
    if (!end.ok()) return file.Error("notify.quiet_end", end.status().message());
    out.quiet = {*start, *end};
  }
  int base = 30, max = 300, ttl_hours = 72;
  CSOPS_RETURN_IF_ERROR(SetInt(file, "notify.retry_base_seconds", n.has_retry_base_seconds(),
                               n.retry_base_seconds(), 1, 3600, base));
  CSOPS_RETURN_IF_ERROR(SetInt(file, "notify.retry_max_seconds", n.has_retry_max_seconds(),
                               n.retry_max_seconds(), 1, 86400, max));
  if (max < base) return file.Error("notify.retry_max_seconds", "must be >= retry_base_seconds");
  CSOPS_RETURN_IF_ERROR(SetInt(file, "notify.max_attempts", n.has_max_attempts(), n.max_attempts(),
                               1, 1000, out.max_attempts));
  CSOPS_RETURN_IF_ERROR(
      SetInt(file, "notify.ttl_hours", n.has_ttl_hours(), n.ttl_hours(), 1, 24 * 30, ttl_hours));
  CSOPS_RETURN_IF_ERROR(
      SetInt(file, "notify.workers", n.has_workers(), n.workers(), 1, 256, out.workers));
  CSOPS_RETURN_IF_ERROR(SetInt(file, "notify.key_retention_days", n.has_key_retention_days(),
                               n.key_retention_days(), 30, 3650, out.key_retention_days));
  CSOPS_RETURN_IF_ERROR(SetInt(file, "notify.max_batch_items", n.has_max_batch_items(),
                               n.max_batch_items(), 1, 10000000, out.max_batch_items));
  out.retry_base = std::chrono::seconds(base);
  out.retry_max = std::chrono::seconds(max);
  out.ttl = std::chrono::hours(ttl_hours);
  if (!n.relay_target().empty()) {
    if (std::string e = CheckListenAddress(n.relay_target()); !e.empty())
      return file.Error("notify.relay_target", e);
    out.relay_target = n.relay_target();
  }
  for (int i = 0; i < n.supervisor_emails_size(); ++i) {
    const std::string& item = n.supervisor_emails(i);
    const auto eq = item.find('=');
    const std::string key = "notify.supervisor_emails[" + std::to_string(i) + "]";
    if (eq == std::string::npos || eq == 0 || item.find('@', eq) == std::string::npos)
      return file.Error(key, "must be 'branch-id=address'");
    out.supervisor_emails[item.substr(0, eq)] = item.substr(eq + 1);
  }
  for (int i = 0; i < n.providers_size(); ++i) {
    const std::string at = "notify.providers[" + std::to_string(i) + "]";
    auto p = BuildProvider(n.providers(i), file, at);
    if (!p.ok()) return p.status();
    for (const ProviderModel& other : out.providers)
      if (other.name == p->name)
        return file.Error(at + ".name", "'" + p->name + "' is defined twice");
    out.providers.push_back(std::move(*p));
  }
  const std::filesystem::path dir =
      std::filesystem::path(config.path).parent_path() /
      (n.templates_dir().empty() ? std::string("templates") : n.templates_dir());
  for (int i = 0; i < n.kinds_size(); ++i) {
    const auto& k = n.kinds(i);
    const std::string at = "notify.kinds[" + std::to_string(i) + "]";
    if (!IsName(k.name())) return file.Error(at + ".name", "'" + k.name() + "' must be [a-z0-9_]");
    if (out.kinds.count(k.name()))
      return file.Error(at + ".name", "'" + k.name() + "' is defined twice");
    KindModel m{k.name(), k.critical(), {}};
    for (const char* locale : {"zh-TW", "en"}) {
      const auto path = dir / (k.name() + "." + locale + ".txt");
      auto text = ReadFile(path);
      if (!text.ok()) return file.Error(at + ".name", text.status().message());
      auto t = ParseTemplate(*text);
      if (!t.ok()) return file.Error(at + ".name", path.string() + ": " + t.status().message());
      m.templates[locale] = std::move(*t);
    }
    out.kinds[m.name] = std::move(m);
  }
  for (int i = 0; i < n.plans_size(); ++i) {
    const auto& p = n.plans(i);
    const std::string at = "notify.plans[" + std::to_string(i) + "]";
    if (!IsName(p.name())) return file.Error(at + ".name", "'" + p.name() + "' must be [a-z0-9_]");
    PlanModel plan{p.name(), {}};
    if (p.steps_size() == 0) return file.Error(at + ".steps", "at least one step is required");
    for (int j = 0; j < p.steps_size(); ++j) {
      const auto& s = p.steps(j);
      const std::string sat = at + ".steps[" + std::to_string(j) + "]";
      if (!IsName(s.name())) return file.Error(sat + ".name", "must be [a-z0-9_]");
      PlanStepModel step{s.name(), s.delay_days(),    s.after_variable(), s.kind(),
                         {},       s.task_case_type()};
      if (s.delay_days() < 0 || s.delay_days() > 366)
        return file.Error(sat + ".delay_days", "must be between 0 and 366");
      if (step.kind.empty() == step.task_case_type.empty())
        return file.Error(sat, "set exactly one of kind and task_case_type");
      if (!step.kind.empty() && !out.kinds.count(step.kind))
        return file.Error(sat + ".kind", "'" + step.kind + "' is not one of notify.kinds");
      for (const std::string& ch : s.channels()) {
        auto c = ParseChannel(ch);
        if (!c) return file.Error(sat + ".channels", "'" + ch + "' is not a channel");
        step.channels.push_back(*c);
      }
      if (!step.kind.empty() && step.channels.empty())
        return file.Error(sat + ".channels", "a notice step needs at least one channel");
      plan.steps.push_back(std::move(step));
    }
    out.plans[plan.name] = std::move(plan);
  }
  return out;
}

}  // namespace csops::notify

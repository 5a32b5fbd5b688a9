#include "services/csopsd/check_config.h"

#include <prometheus/registry.h>

#include <chrono>

#include "common/auth/access_control.h"
#include "common/base/civil_date.h"
#include "common/config/config.h"
#include "services/case/case_config.h"
#include "services/csopsd/access_table.h"
#include "services/csopsd/security.h"
#include "services/notify/notify_config.h"
#include "services/queue/queue_config.h"

namespace csops::csopsd {
namespace {

int Refuse(std::FILE* err, const Status& s) {
  std::fprintf(err, "csopsd: config error: %s\n", s.message().c_str());
  return 2;
}

}  // namespace

int CheckConfig(const Flags& flags, std::FILE* out, std::FILE* err) {
  auto config = LoadConfig(flags.config);
  if (!config.ok()) return Refuse(err, config.status());
  auto branches = queue::BuildBranchModels(*config);
  if (!branches.ok()) return Refuse(err, branches.status());
  auto cases = cases::BuildCaseConfig(*config);
  if (!cases.ok()) return Refuse(err, cases.status());
  auto notify = notify::BuildNotifyConfig(*config);
  if (!notify.ok()) return Refuse(err, notify.status());
  auto tls = ReadTls(*config);
  if (!tls.ok()) return Refuse(err, tls.status());
  prometheus::Registry scratch;
  auto table = BuildAccessTable();
  if (!table.ok()) return Refuse(err, table.status());
  auth::AccessControl access(config->proto.auth(), std::move(*table), scratch);
  if (access.enabled()) {
    auto key = ServiceKey(*config, access);
    if (!key.ok()) return Refuse(err, key.status());
  }

  const auto& p = config->proto;
  std::fprintf(out, "config %s: valid\n", config->path.c_str());
  std::fprintf(out, "  targets     : %s\n", JoinTargetNames(flags.targets).c_str());
  std::fprintf(out, "  gRPC        : %s%s\n", flags.listen.value_or(p.server().listen()).c_str(),
               tls->on ? " (TLS)" : "");
  std::fprintf(out, "  web         : %s\n",
               flags.http_listen.value_or(p.server().http_listen()).c_str());
  std::fprintf(out, "  data dir    : %s\n", flags.data_dir.value_or(p.server().data_dir()).c_str());
  const auto now = std::chrono::system_clock::now();
  for (const auto& ref : p.calendars()) {
    const auto& cal = config->calendars.at(ref.name());
    const absl::Time t = absl::FromChrono(now);
    absl::TimeZone zone;
    absl::LoadTimeZone(cal->time_zone_name(), &zone);
    const absl::CivilDay today = absl::ToCivilDay(t, zone);
    std::fprintf(out, "  calendar    : %s  %s  %s  covers %s to %s (%ld days left)\n",
                 ref.name().c_str(), ref.file().c_str(), cal->time_zone_name().c_str(),
                 FormatIsoDate(cal->covers_from()).c_str(),
                 FormatIsoDate(cal->covers_until()).c_str(),
                 static_cast<long>(cal->covers_until() - today));
  }
  std::size_t counters = 0;
  for (const auto& b : *branches) counters += b->counters.size();
  std::fprintf(out, "  branches    : %zu (%zu counters)\n", branches->size(), counters);
  std::fprintf(out, "  case types  : %zu\n", cases->types.size());
  std::size_t templates = 0;
  for (const auto& [_, kind] : notify->kinds) templates += kind.templates.size();
  std::fprintf(out, "  notices     : %zu kinds, %zu templates, %zu providers, %zu plans\n",
               notify->kinds.size(), templates, notify->providers.size(), notify->plans.size());
  std::fprintf(out, "  access      : %s\n",
               access.enabled() ? (std::to_string(p.auth().keys_size()) + " API keys").c_str()
                                : "off (no auth.keys)");
  return 0;
}

}  // namespace csops::csopsd

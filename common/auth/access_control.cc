#include "common/auth/access_control.h"

#include <prometheus/gauge.h>

#include "common/auth/api_key.h"

namespace csops::auth {

namespace {

std::map<std::string, Identity> ConfiguredKeys(const config::v1::AuthConfig& config) {
  std::map<std::string, Identity> keys;
  for (const auto& k : config.keys())
    keys[k.sha256()] =
        Identity{k.name(), k.role(), k.branch(), true, k.role() == config::v1::SERVICE};
  return keys;
}

}  // namespace

AccessControl::AccessControl(const config::v1::AuthConfig& config, AccessTable table,
                             prometheus::Registry& registry)
    : table_(std::move(table)),
      enabled_(config.keys_size() > 0),
      keys_(std::make_shared<const KeyMap>(ConfiguredKeys(config))),
      denied_(prometheus::BuildCounter()
                  .Name("csops_auth_denied_total")
                  .Help("Calls refused by access control, by surface, code and route")
                  .Register(registry)) {
  // Zero series from the start, so rate() and alerts see the first denial.
  for (const char* surface : {"grpc", "http"})
    for (const char* code : {"unauthenticated", "permission_denied"})
      denied_.Add({{"surface", surface}, {"code", code}, {"route", "(none)"}});
  prometheus::BuildGauge()
      .Name("csops_auth_enabled")
      .Help("1 when API keys are configured and every non-public call needs one")
      .Register(registry)
      .Add({})
      .Set(enabled() ? 1 : 0);
}

void AccessControl::AddKey(const std::string& raw_key, const std::string& name, Role role) {
  std::lock_guard<std::mutex> lock(mu_);
  added_[Sha256Hex(raw_key)] = Identity{name, role, "", true, true};
  KeyMap all = *keys_;
  all.insert_or_assign(Sha256Hex(raw_key), added_[Sha256Hex(raw_key)]);
  keys_ = std::make_shared<const KeyMap>(std::move(all));
}

Status AccessControl::Reload(const config::v1::AuthConfig& config) {
  if ((config.keys_size() > 0) != enabled_)
    return Status::FailedPrecondition(
        enabled_ ? "auth.keys: access control cannot be switched off by a reload; restart"
                 : "auth.keys: access control cannot be switched on by a reload; restart");
  KeyMap all = ConfiguredKeys(config);
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [digest, who] : added_) all.insert_or_assign(digest, who);
  keys_ = std::make_shared<const KeyMap>(std::move(all));
  return Status();
}

std::shared_ptr<const AccessControl::KeyMap> AccessControl::Keys() const {
  std::lock_guard<std::mutex> lock(mu_);
  return keys_;
}

Status AccessControl::Deny(Surface surface, const std::string& route, Status status) const {
  const AccessRule* rule = table_.Find(route);
  denied_
      .Add({{"surface", surface == Surface::kGrpc ? "grpc" : "http"},
            {"code", status.code() == StatusCode::kUnauthenticated ? "unauthenticated"
                                                                   : "permission_denied"},
            {"route", rule ? rule->route : "(none)"}})
      .Increment();
  return status;
}

Result<Identity> AccessControl::Decide(Surface surface, const std::string& route,
                                       const std::string& authorization) const {
  const AccessRule* rule = table_.Find(route);
  if (!rule)
    return Deny(surface, route, Status::PermissionDenied(route + ": not in the access table"));
  if (!enabled()) {
    Identity anyone{"", config::v1::ADMIN, "", false, false};
    if (auto key = KeyFromAuthorization(authorization); key.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      anyone.names_clients = added_.count(Sha256Hex(*key)) > 0;  // this process's own pages
    }
    return anyone;
  }
  auto key = KeyFromAuthorization(authorization);
  const auto keys = Keys();
  const Identity* who = nullptr;
  if (key.ok()) {
    auto it = keys->find(Sha256Hex(*key));
    if (it != keys->end()) who = &it->second;
  }
  if (rule->is_public) return who ? *who : Identity{};
  if (!key.ok()) {
    return Deny(surface, route,
                key.status().code() == StatusCode::kNotFound
                    ? Status::Unauthenticated("authorization: an API key is required")
                    : key.status());
  }
  if (!who) return Deny(surface, route, Status::Unauthenticated("authorization: unknown API key"));
  if (!Allows(*rule, who->role))
    return Deny(
        surface, route,
        Status::PermissionDenied("role " + RoleName(who->role) + " may not call " + rule->route));
  return *who;
}

Status AccessControl::CheckBranch(Surface surface, const std::string& route, const Identity& who,
                                  const std::string& branch) const {
  if (who.branch.empty() || branch.empty() || who.branch == branch) return Status();
  return Deny(
      surface, route,
      Status::PermissionDenied("branch_id: this key acts for branch " + who.branch + " only"));
}

}  // namespace csops::auth

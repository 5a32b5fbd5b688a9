// Who is calling, and may they: API keys (by SHA-256) mapped to identities, decisions against
// the access table (policy.h), and the denial metric.
//
//   csops_auth_denied_total{surface="grpc"|"http", code="unauthenticated"|"permission_denied",
//                           route}   route is a table entry (bounded), "(none)" when unknown
//                                    (every surface and code starts at zero with "(none)")
//   csops_auth_enabled            1 when keys are configured
//
// With no keys configured access control is off: every caller of a table entry is an
// unauthenticated ADMIN (development only; csopsd warns); only this process's own key (AddKey)
// is told apart then, as the one caller that names_clients. Routes outside the table are refused
// either way. Thread-safe; AddKey only before serving.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/auth/policy.h"
#include "common/base/status.h"
#include "csops/config/v1/config.pb.h"

namespace csops::auth {

struct Identity {
  std::string name;  // the key's holder, e.g. "E0042"; "" when access control is off
  Role role = config::v1::ROLE_UNSPECIFIED;
  std::string branch;  // the branch a key is bound to; "" for any
  bool authenticated = false;
  // May name the client it calls for (x-csops-client-ip, client_quota.h): a SERVICE key, or
  // this process's own key (AddKey) also while access control is off.
  bool names_clients = false;
};

enum class Surface { kGrpc, kHttp };

class AccessControl {
 public:
  // Decides against `table` (csopsd assembles it from every module's rules).
  // REQUIRES: `config` passed LoadConfig's validation.
  AccessControl(const config::v1::AuthConfig& config, AccessTable table,
                prometheus::Registry& registry);

  const AccessTable& table() const { return table_; }
  bool enabled() const { return enabled_; }
  // Accepts `raw_key` as `name` with `role` (this process's own service key) from now on,
  // across reloads. Before serving.
  void AddKey(const std::string& raw_key, const std::string& name, Role role);
  // Puts the keys of `config` in force (SIGHUP: a lost kiosk's key is revoked without a
  // restart); calls decided from then on see only them and the AddKey keys. A reload cannot
  // switch access control on or off: FailedPrecondition naming auth.keys, and the old keys stay.
  // REQUIRES: `config` passed LoadConfig's validation.
  Status Reload(const config::v1::AuthConfig& config);

  // The caller of `route` (gRPC method path or HTTP route pattern) presenting `authorization`
  // ("Bearer <key>", "Basic ...", or ""). Unauthenticated: no key or an unknown key on a
  // non-public route; PermissionDenied: the key's role is not allowed there, or the route is not
  // in the table. A public route answers an anonymous identity for a missing or bad key.
  Result<Identity> Decide(Surface surface, const std::string& route,
                          const std::string& authorization) const;

  // PermissionDenied when `who` is bound to a branch other than `branch` (counts a denial).
  // An empty `branch` passes: the request's own validation reports the missing field.
  Status CheckBranch(Surface surface, const std::string& route, const Identity& who,
                     const std::string& branch) const;

 private:
  Status Deny(Surface surface, const std::string& route, Status status) const;

  using KeyMap = std::map<std::string, Identity>;  // by SHA-256 hex
  std::shared_ptr<const KeyMap> Keys() const;

  const AccessTable table_;
  const bool enabled_;
  mutable std::mutex mu_;
  std::shared_ptr<const KeyMap> keys_;  // configured and added; replaced whole, guarded by mu_
  KeyMap added_;                        // AddKey's, guarded by mu_
  prometheus::Family<prometheus::Counter>& denied_;
};

}  // namespace csops::auth

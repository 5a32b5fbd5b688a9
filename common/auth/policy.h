// The one access table: every gRPC method and every HTTP route csopsd serves, and the roles
// that may call it. ADMIN may call everything that is not public; a public entry needs no key.
//
// gRPC entries are full method paths ("/csops.queue.v1.QueueService/IssueTicket"); HTTP
// entries are route patterns as csopsd registers them ("GET /metrics"), where a pattern ending
// in '/' covers every route under it ("GET /receipts/" covers "GET /receipts/mitake").
// A method or route missing from the table is refused (fail closed); csopsd also refuses to
// start when an HTTP route it serves has no entry. "csopsd --print-policy" prints the table.
#pragma once

#include <string>
#include <vector>

#include "csops/config/v1/config.pb.h"

namespace csops::auth {

using Role = config::v1::Role;

struct AccessRule {
  std::string route;
  bool is_public = false;
  std::vector<Role> roles;  // besides ADMIN; empty when public
};

const std::vector<AccessRule>& AccessTable();

// The entry for a gRPC method path or an HTTP route pattern; nullptr when there is none.
const AccessRule* FindRule(const std::string& route);

// True when `role` may use `rule` (ADMIN may use every rule).
bool Allows(const AccessRule& rule, Role role);

// "kiosk", "counter", ... (lower case); "" for ROLE_UNSPECIFIED.
std::string RoleName(Role role);

// The table as JSON: [{"route":..., "public":bool, "roles":["counter", ...]}, ...].
std::string AccessTableJson();

}  // namespace csops::auth

// The access table: every gRPC method and every HTTP route csopsd serves, and the roles that
// may call it. ADMIN may call everything that is not public; a public entry needs no key.
// Each module contributes the rules of its own methods and routes (QueueAccessRules(), ...);
// csopsd assembles the table (services/csopsd/access_table.h). Nothing here names a service.
//
// gRPC entries are full method paths ("/csops.queue.v1.QueueService/IssueTicket"); HTTP
// entries are route patterns as csopsd registers them ("GET /metrics"), where a pattern ending
// in '/' covers every route under it ("GET /receipts/" covers "GET /receipts/mitake").
// A method or route missing from the table is refused (fail closed); csopsd also refuses to
// start when an HTTP route it serves has no entry. "csopsd --print-policy" prints the table.
#pragma once

#include <string>
#include <vector>

#include "common/base/status.h"
#include "csops/config/v1/config.pb.h"

namespace csops::auth {

using Role = config::v1::Role;

struct AccessRule {
  std::string route;
  bool is_public = false;
  std::vector<Role> roles;  // besides ADMIN; empty when public
};

AccessRule PublicRule(std::string route);
AccessRule RoleRule(std::string route, std::vector<Role> roles);

class AccessTable {
 public:
  // Adds `rules` whole or not at all: kInvalidArgument naming the route when a route is
  // already in the table (two modules claiming one route), is empty, or when a rule is
  // neither public nor grants a role, or is both.
  Status Add(const std::vector<AccessRule>& rules);

  // The entry for a gRPC method path or an HTTP route pattern; nullptr when there is none.
  const AccessRule* Find(const std::string& route) const;
  const std::vector<AccessRule>& rules() const { return rules_; }
  // The table as JSON: [{"route":..., "public":bool, "roles":["counter", ...]}, ...].
  std::string Json() const;

 private:
  std::vector<AccessRule> rules_;
};

// True when `role` may use `rule` (ADMIN may use every rule).
bool Allows(const AccessRule& rule, Role role);

// "kiosk", "counter", ... (lower case); "" for ROLE_UNSPECIFIED.
std::string RoleName(Role role);

}  // namespace csops::auth

#include "common/auth/policy.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>

namespace csops::auth {

AccessRule PublicRule(std::string route) { return {std::move(route), true, {}}; }
AccessRule RoleRule(std::string route, std::vector<Role> roles) {
  return {std::move(route), false, std::move(roles)};
}

Status AccessTable::Add(const std::vector<AccessRule>& rules) {
  std::set<std::string> seen;
  for (const AccessRule& r : rules_) seen.insert(r.route);
  for (const AccessRule& r : rules) {
    if (r.route.empty()) return Status::InvalidArgument("access rule: route is empty");
    if (r.is_public == !r.roles.empty())
      return Status::InvalidArgument("access rule '" + r.route +
                                     "': must be public or grant roles, not both or neither");
    if (!seen.insert(r.route).second)
      return Status::InvalidArgument("access rule '" + r.route +
                                     "': route is already in the table");
  }
  rules_.insert(rules_.end(), rules.begin(), rules.end());
  return Status();
}

const AccessRule* AccessTable::Find(const std::string& route) const {
  const AccessRule* best = nullptr;
  for (const AccessRule& r : rules_) {
    if (r.route == route) return &r;
    // HTTP patterns only, as the HTTP server matches them: "GET /x/" covers "GET /x/...".
    const std::size_t space = r.route.find(' ');
    const bool prefix =
        space != std::string::npos && r.route.size() - space > 2 && r.route.back() == '/';
    if (prefix && route.size() > r.route.size() && route.compare(0, r.route.size(), r.route) == 0 &&
        (!best || r.route.size() > best->route.size()))
      best = &r;
  }
  return best;
}

std::string AccessTable::Json() const {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const AccessRule& r : rules_) {
    nlohmann::ordered_json roles = nlohmann::ordered_json::array();
    for (Role role : r.roles) roles.push_back(RoleName(role));
    out.push_back({{"route", r.route}, {"public", r.is_public}, {"roles", roles}});
  }
  return out.dump(2) + "\n";
}

bool Allows(const AccessRule& rule, Role role) {
  if (rule.is_public || role == config::v1::ADMIN) return true;
  return std::find(rule.roles.begin(), rule.roles.end(), role) != rule.roles.end();
}

std::string RoleName(Role role) {
  if (role == config::v1::ROLE_UNSPECIFIED) return "";
  std::string name = config::v1::Role_Name(role);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

}  // namespace csops::auth

// Access control for csopsd's HTTP routes: wraps every handler so it runs only for callers the
// access table allows (AccessControl::Decide with the "Authorization" header). A refusal is
// 401 with a Basic challenge (browsers then ask for the key, entered as the password) or 403,
// plain text naming the reason, and counted in csops_auth_denied_total{surface="http"}.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "common/auth/access_control.h"
#include "common/http/http_server.h"

namespace csops::auth {

// `routes` with every handler guarded. InvalidArgument naming the first route that has no
// entry in the access table: a route nobody classified must not be served.
Result<std::map<std::string, http::Handler>> GuardRoutes(
    std::map<std::string, http::Handler> routes, std::shared_ptr<const AccessControl> access);

}  // namespace csops::auth

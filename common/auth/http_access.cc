#include "common/auth/http_access.h"

namespace csops::auth {

Result<std::map<std::string, http::Handler>> GuardRoutes(
    std::map<std::string, http::Handler> routes, std::shared_ptr<const AccessControl> access) {
  std::map<std::string, http::Handler> out;
  for (auto& [pattern, handler] : routes) {
    if (!access->table().Find(pattern))
      return Status::InvalidArgument("HTTP route '" + pattern + "' has no access table entry");
    out[pattern] = [pattern = pattern, handler = std::move(handler),
                    access](const http::Request& r) -> http::Response {
      auto who = access->Decide(Surface::kHttp, pattern, r.Header("authorization"));
      if (who.ok()) return handler(r);
      if (who.status().code() == StatusCode::kUnauthenticated)
        return {401,
                "text/plain; charset=utf-8",
                who.status().message() + "\n",
                {{"WWW-Authenticate", "Basic realm=\"csops\", charset=\"UTF-8\""},
                 {"Cache-Control", "no-store"}},
                {}};
      return {403, "text/plain; charset=utf-8", who.status().message() + "\n", {}, {}};
    };
  }
  return out;
}

}  // namespace csops::auth

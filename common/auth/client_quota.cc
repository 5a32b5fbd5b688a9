#include "common/auth/client_quota.h"

#include "common/auth/grpc_access.h"

namespace csops {

std::string ClientKey(const grpc::ServerContextBase& ctx, bool* ignored_header) {
  std::string peer = ctx.peer();
  if (auto colon = peer.rfind(':'); colon != std::string::npos) peer = peer.substr(0, colon);
  if (ignored_header) *ignored_header = false;
  const auto& md = ctx.client_metadata();
  auto it = md.find("x-csops-client-ip");
  if (it == md.end()) return peer;
  auto who = auth::Caller(&ctx);
  if (who.ok() && who->names_clients && it->second.size() <= 64)
    return "web:" + std::string(it->second.data(), it->second.size());
  if (ignored_header) *ignored_header = true;
  return peer;
}

bool StreamQuota::Acquire(const std::string& client) {
  std::lock_guard<std::mutex> lock(mu_);
  int& n = open_[client];
  if (n >= max_) return false;
  ++n;
  return true;
}

void StreamQuota::Release(const std::string& client) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = open_.find(client);
  if (it == open_.end()) return;
  if (--it->second <= 0) open_.erase(it);
}

}  // namespace csops

#include "common/client_quota.h"

namespace csops {

std::string ClientKey(const grpc::ServerContextBase& ctx) {
  std::string peer = ctx.peer();
  if (auto colon = peer.rfind(':'); colon != std::string::npos) peer = peer.substr(0, colon);
  const bool loopback =
      peer.rfind("ipv4:127.", 0) == 0 || peer == "ipv6:[::1]" || peer.rfind("unix:", 0) == 0;
  const auto& md = ctx.client_metadata();
  if (auto it = md.find("x-csops-client-ip"); loopback && it != md.end() && it->second.size() <= 64)
    return "web:" + std::string(it->second.data(), it->second.size());
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

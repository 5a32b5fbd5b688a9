#include "common/auth/client_quota.h"

#include "common/auth/grpc_access.h"

namespace csops {

std::string PeerAddress(const std::string& grpc_peer) {
  std::string a = grpc_peer;
  if (a.rfind("ipv4:", 0) == 0 || a.rfind("ipv6:", 0) == 0) {
    a = a.substr(5);
    if (auto colon = a.rfind(':'); colon != std::string::npos) a = a.substr(0, colon);
    if (a.size() > 2 && a.front() == '[' && a.back() == ']') a = a.substr(1, a.size() - 2);
  }
  return a;
}

std::string ClientKey(const grpc::ServerContextBase& ctx, const std::vector<Cidr>& trusted_proxies,
                      bool* ignored_header) {
  const auto& md = ctx.client_metadata();
  std::string forwarded;
  if (!trusted_proxies.empty()) {
    for (auto [it, end] = md.equal_range("x-forwarded-for"); it != end; ++it) {
      if (!forwarded.empty()) forwarded += ",";
      forwarded.append(it->second.data(), it->second.size());
    }
  }
  const std::string peer =
      "ip:" + ClientAddress(PeerAddress(ctx.peer()), forwarded, trusted_proxies);
  if (ignored_header) *ignored_header = false;
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

// Per-client limits for gRPC services.
//
// A client is the peer's address without its port, so one machine counts once however many
// connections it opens. Behind a reverse proxy or load balancer (server.trusted_proxies) the
// client is the one the proxy names in x-forwarded-for metadata (nginx: grpc_set_header
// X-Forwarded-For $proxy_add_x_forwarded_for), read as ClientAddress in common/base/cidr.h does.
// csopsd's own pages call on behalf of browsers and name the browser in x-csops-client-ip
// metadata; that is believed only from a caller the access decision says names_clients (this
// process's own key, or a SERVICE key). Anyone else's header is ignored: naming a new address
// per call must not buy a fresh quota.
#pragma once

#include <grpcpp/grpcpp.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/base/cidr.h"

namespace csops {

// "ip:10.0.0.7" (the peer's or the forwarded address), or "web:<address>" for a page's browser.
// `ignored_header`, when given, is set to whether the call named a client that was not believed.
std::string ClientKey(const grpc::ServerContextBase& ctx, const std::vector<Cidr>& trusted_proxies,
                      bool* ignored_header = nullptr);

// The address part of a gRPC peer: "ipv4:10.0.0.7:5000" -> "10.0.0.7",
// "ipv6:[::1]:5000" -> "::1"; anything else as it is.
std::string PeerAddress(const std::string& grpc_peer);

// Open long-lived streams per client, at most `max` each.
// Thread safety: all methods are thread-safe.
class StreamQuota {
 public:
  explicit StreamQuota(int max) : max_(max) {}
  // False (and nothing counted) when the client already holds `max` streams.
  bool Acquire(const std::string& client);
  void Release(const std::string& client);
  int max() const { return max_; }

 private:
  const int max_;
  std::mutex mu_;
  std::map<std::string, int> open_;  // guarded by mu_
};

}  // namespace csops

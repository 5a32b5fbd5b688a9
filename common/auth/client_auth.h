// How a csops client reaches a csops server: plain or TLS (optionally with a client
// certificate for mutual TLS), and which API key it presents.
//
// Used by csopsd's own outgoing calls (outbox relays, the task relay, the pages) and by the
// tools (csopsctl, csops-loadgen, csops-report). The tools read the environment:
//   CSOPS_API_KEY or CSOPS_API_KEY_FILE   the key (a file: first line)
//   CSOPS_TLS_CA                          PEM of the CAs to trust; set = connect with TLS
//   CSOPS_TLS_CERT, CSOPS_TLS_KEY         client certificate and key for mutual TLS
//   CSOPS_TLS_SERVER_NAME                 the name to verify instead of the target's host
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "common/base/status.h"

namespace csops::auth {

struct ClientAuth {
  std::string api_key;  // "" = none
  bool tls = false;
  std::string ca_pem;    // trusted roots when tls
  std::string cert_pem;  // client certificate (mutual TLS), may be ""
  std::string key_pem;
  std::string server_name;  // verify this name instead of the target's host, may be ""

  std::shared_ptr<grpc::Channel> Connect(const std::string& target,
                                         grpc::ChannelArguments args = {}) const;
  // Adds "authorization: Bearer <key>" when there is a key.
  void Apply(grpc::ClientContext* ctx) const;
};

// A csops server that another csops component calls: where, and how.
struct ServiceTarget {
  std::string address;  // "host:port"
  ClientAuth auth;
};

// From the environment variables above. InvalidArgument naming the variable when a file
// cannot be read.
Result<ClientAuth> ClientAuthFromEnvironment();

// The whole content of `path` (PEM files); NotFound naming `what` when unreadable.
Result<std::string> ReadSecretFile(const std::string& path, const std::string& what);
// An API key file's first line, trimmed; NotFound/InvalidArgument naming `what`.
Result<std::string> ReadKeyFile(const std::string& path, const std::string& what);

}  // namespace csops::auth

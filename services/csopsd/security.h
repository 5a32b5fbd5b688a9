// csopsd's secrets from the config: its own API key for calls to csops services, and the TLS
// material of its listeners. Files are read once at start-up; paths are relative to the config
// file. A key file readable by group or others is logged as a warning (like ssh).
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "common/auth/access_control.h"
#include "common/base/status.h"
#include "common/config/config.h"

namespace csops::csopsd {

// This process's own key for calls to csops services: auth.service_key_file (which must be
// listed in auth.keys as a SERVICE key), else a fresh key made now. Either way it is added to
// `access` so this process accepts it across key reloads.
Result<std::string> ServiceKey(const LoadedConfig& config, auth::AccessControl& access);

// server.tls, read. `on` is false when no certificate is configured.
struct TlsMaterial {
  bool on = false;
  std::string cert, key, client_ca, ca;  // PEM; ca defaults to cert
};
Result<TlsMaterial> ReadTls(const LoadedConfig& config);

// Insecure without TLS; with client_ca, clients must present a certificate it signed.
std::shared_ptr<grpc::ServerCredentials> GrpcCredentials(const TlsMaterial& tls);

}  // namespace csops::csopsd

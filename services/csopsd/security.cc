#include "services/csopsd/security.h"

#include <sys/stat.h>

#include <filesystem>

#include "common/auth/api_key.h"
#include "common/auth/client_auth.h"
#include "common/base/log.h"

namespace csops::csopsd {
namespace {

std::string ConfigRelative(const LoadedConfig& config, const std::string& path) {
  std::filesystem::path p = path;
  if (p.is_relative()) p = std::filesystem::path(config.path).parent_path() / p;
  return p.string();
}

// Logs a warning when a key file can be read by others than its owner (like ssh does).
void WarnIfShared(const std::string& path, const char* key) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0)
    CSOPS_LOG(kWarning, "secret_file_readable_by_others")
        .Kv("key", key)
        .Kv("path", path)
        .Kv("fix", "chmod 600");
}

}  // namespace

Result<std::string> ServiceKey(const LoadedConfig& config, auth::AccessControl& access) {
  const auto& a = config.proto.auth();
  if (a.service_key_file().empty()) {
    std::string key = auth::NewApiKey();
    access.AddKey(key, "system", config::v1::SERVICE);
    return key;
  }
  const std::string path = ConfigRelative(config, a.service_key_file());
  WarnIfShared(path, "auth.service_key_file");
  auto key = auth::ReadKeyFile(path, "auth.service_key_file");
  if (!key.ok()) return key.status();
  const std::string digest = auth::Sha256Hex(*key);
  for (const auto& k : a.keys()) {
    if (k.sha256() == digest && k.role() == config::v1::SERVICE) {
      access.AddKey(*key, k.name(), config::v1::SERVICE);  // kept across key reloads
      return key;
    }
  }
  return Status::InvalidArgument(
      "auth.service_key_file: its key is not listed in auth.keys with role SERVICE");
}

Result<TlsMaterial> ReadTls(const LoadedConfig& config) {
  const auto& t = config.proto.server().tls();
  TlsMaterial m;
  if (t.cert_file().empty()) return m;
  m.on = true;
  auto read = [&](const std::string& file, const char* key, std::string* out) -> Status {
    if (file.empty()) return Status();
    auto text = auth::ReadSecretFile(ConfigRelative(config, file), key);
    if (!text.ok()) return text.status();
    *out = std::move(*text);
    return Status();
  };
  CSOPS_RETURN_IF_ERROR(read(t.cert_file(), "server.tls.cert_file", &m.cert));
  CSOPS_RETURN_IF_ERROR(read(t.key_file(), "server.tls.key_file", &m.key));
  WarnIfShared(ConfigRelative(config, t.key_file()), "server.tls.key_file");
  CSOPS_RETURN_IF_ERROR(read(t.client_ca_file(), "server.tls.client_ca_file", &m.client_ca));
  CSOPS_RETURN_IF_ERROR(read(t.ca_file(), "server.tls.ca_file", &m.ca));
  if (m.ca.empty()) m.ca = m.cert;
  return m;
}

std::shared_ptr<grpc::ServerCredentials> GrpcCredentials(const TlsMaterial& tls) {
  if (!tls.on) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions o(
      tls.client_ca.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                            : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  o.pem_root_certs = tls.client_ca;
  o.pem_key_cert_pairs.push_back({tls.key, tls.cert});
  return grpc::SslServerCredentials(o);
}

}  // namespace csops::csopsd

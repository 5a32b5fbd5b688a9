#include "common/auth/client_auth.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace csops::auth {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string FirstLine(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

}  // namespace

Result<std::string> ReadSecretFile(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(what + ": cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Result<std::string> ReadKeyFile(const std::string& path, const std::string& what) {
  auto text = ReadSecretFile(path, what);
  if (!text.ok()) return text.status();
  std::string key = FirstLine(*text);
  if (key.empty()) return Status::InvalidArgument(what + ": " + path + " holds no key");
  return key;
}

std::shared_ptr<grpc::Channel> ClientAuth::Connect(const std::string& target,
                                                   grpc::ChannelArguments args) const {
  if (!tls) return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  grpc::SslCredentialsOptions o;
  o.pem_root_certs = ca_pem;
  o.pem_cert_chain = cert_pem;
  o.pem_private_key = key_pem;
  if (!server_name.empty()) args.SetSslTargetNameOverride(server_name);
  return grpc::CreateCustomChannel(target, grpc::SslCredentials(o), args);
}

void ClientAuth::Apply(grpc::ClientContext* ctx) const {
  if (!api_key.empty()) ctx->AddMetadata("authorization", "Bearer " + api_key);
}

Result<ClientAuth> ClientAuthFromEnvironment() {
  ClientAuth a;
  a.api_key = Env("CSOPS_API_KEY");
  if (a.api_key.empty() && !Env("CSOPS_API_KEY_FILE").empty()) {
    auto k = ReadKeyFile(Env("CSOPS_API_KEY_FILE"), "CSOPS_API_KEY_FILE");
    if (!k.ok()) return Status::InvalidArgument(k.status().message());
    a.api_key = *k;
  }
  if (!Env("CSOPS_TLS_CA").empty()) {
    a.tls = true;
    auto ca = ReadSecretFile(Env("CSOPS_TLS_CA"), "CSOPS_TLS_CA");
    if (!ca.ok()) return Status::InvalidArgument(ca.status().message());
    a.ca_pem = *ca;
  }
  if (!Env("CSOPS_TLS_CERT").empty()) {
    auto cert = ReadSecretFile(Env("CSOPS_TLS_CERT"), "CSOPS_TLS_CERT");
    if (!cert.ok()) return Status::InvalidArgument(cert.status().message());
    auto key = ReadSecretFile(Env("CSOPS_TLS_KEY"), "CSOPS_TLS_KEY");
    if (!key.ok()) return Status::InvalidArgument(key.status().message());
    a.cert_pem = *cert;
    a.key_pem = *key;
  }
  a.server_name = Env("CSOPS_TLS_SERVER_NAME");
  return a;
}

}  // namespace csops::auth

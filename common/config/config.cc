#include "common/config/config.h"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>

#include "common/base/cidr.h"
#include "common/config/calendar_file.h"
#include "common/config/textproto_file.h"

namespace csops {
namespace {

using config::v1::Config;

void ApplyPostgresDefaults(config::v1::PostgresConfig& pg) {
  if (!pg.has_pool_size()) pg.set_pool_size(8);
  if (!pg.has_acquire_timeout_ms()) pg.set_acquire_timeout_ms(5000);
  if (!pg.has_connect_timeout_seconds()) pg.set_connect_timeout_seconds(30);
  if (!pg.has_max_batch()) pg.set_max_batch(32);
  if (!pg.has_heartbeat_ms()) pg.set_heartbeat_ms(2000);
}

void ApplyDefaults(Config& c) {
  auto* s = c.mutable_server();
  if (s->listen().empty()) s->set_listen("127.0.0.1:50051");
  if (s->metrics_listen().empty()) s->set_metrics_listen("127.0.0.1:9464");
  if (s->data_dir().empty()) s->set_data_dir("var");
  if (s->http_listen().empty()) s->set_http_listen("127.0.0.1:8080");
  if (s->public_base_url().empty()) s->set_public_base_url("http://127.0.0.1:8080");
  if (!s->has_shutdown_grace_seconds()) s->set_shutdown_grace_seconds(10);
  if (!s->has_max_message_bytes()) s->set_max_message_bytes(4 << 20);
  if (!s->has_max_streams_per_client()) s->set_max_streams_per_client(16);
  auto* st = c.mutable_storage();
  if (st->synchronous() == config::v1::SYNCHRONOUS_UNSPECIFIED)
    st->set_synchronous(config::v1::FULL);
  if (!st->has_max_batch()) st->set_max_batch(256);
  if (!st->has_read_connections()) st->set_read_connections(4);
  if (!st->has_busy_timeout_ms()) st->set_busy_timeout_ms(5000);
  if (st->has_postgres()) ApplyPostgresDefaults(*st->mutable_postgres());
  auto* l = c.mutable_log();
  if (l->level() == config::v1::LOG_LEVEL_UNSPECIFIED) l->set_level(config::v1::INFO);
  auto* w = c.mutable_web();
  if (w->staff_networks().empty()) {
    w->add_staff_networks("127.0.0.0/8");
    w->add_staff_networks("::1/128");
  }
  if (!w->has_board_recent_calls()) w->set_board_recent_calls(8);
  if (!w->has_board_highlight_seconds()) w->set_board_highlight_seconds(8);
  if (!w->has_public_requests_per_minute()) w->set_public_requests_per_minute(120);
}

Status CheckRange(const TextProtoFile& file, const char* key, int value, int lo, int hi) {
  if (value < lo || value > hi)
    return file.Error(key, "is " + std::to_string(value) + "; must be between " +
                               std::to_string(lo) + " and " + std::to_string(hi));
  return Status();
}

// The connection string of storage.postgres, from dsn or from dsn_file (never echoed: it may
// hold a password).
Result<std::string> PostgresDsn(const TextProtoFile& file, const config::v1::PostgresConfig& pg,
                                const std::filesystem::path& base) {
  CSOPS_RETURN_IF_ERROR(CheckRange(file, "storage.postgres.pool_size", pg.pool_size(), 1, 256));
  CSOPS_RETURN_IF_ERROR(
      CheckRange(file, "storage.postgres.acquire_timeout_ms", pg.acquire_timeout_ms(), 10, 60000));
  CSOPS_RETURN_IF_ERROR(CheckRange(file, "storage.postgres.connect_timeout_seconds",
                                   pg.connect_timeout_seconds(), 0, 600));
  CSOPS_RETURN_IF_ERROR(CheckRange(file, "storage.postgres.max_batch", pg.max_batch(), 1, 1024));
  CSOPS_RETURN_IF_ERROR(
      CheckRange(file, "storage.postgres.heartbeat_ms", pg.heartbeat_ms(), 100, 60000));
  if (pg.dsn().empty() == pg.dsn_file().empty())
    return file.Error("storage.postgres", "set exactly one of dsn and dsn_file");
  if (!pg.dsn().empty()) return pg.dsn();
  std::filesystem::path p = pg.dsn_file();
  if (p.is_relative()) p = base / p;
  std::ifstream in(p);
  if (!in) return file.Error("storage.postgres.dsn_file", "cannot read " + p.string());
  std::string dsn;
  std::getline(in, dsn);
  while (!dsn.empty() && (dsn.back() == '\r' || dsn.back() == ' ' || dsn.back() == '\t'))
    dsn.pop_back();
  if (dsn.empty()) return file.Error("storage.postgres.dsn_file", p.string() + " is empty");
  return dsn;
}

// Paths stay as written; server.cc resolves them against the config file's directory.
Status CheckTls(const TextProtoFile& file, const config::v1::TlsConfig& tls, bool metrics_off) {
  const bool any = !tls.cert_file().empty() || !tls.key_file().empty() ||
                   !tls.client_ca_file().empty() || !tls.ca_file().empty();
  if (!any) return Status();
  if (tls.cert_file().empty()) return file.Error("server.tls.cert_file", "is required for TLS");
  if (tls.key_file().empty()) return file.Error("server.tls.key_file", "is required for TLS");
  if (!metrics_off)
    return file.Error("server.metrics_listen",
                      "must be \"off\" with server.tls: scrape https://<http_listen>/metrics");
  return Status();
}

bool IsKeyName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '_' && ch != '-')
      return false;
  return true;
}

Status CheckAuth(const TextProtoFile& file, const Config& c) {
  std::set<std::string> digests, branches;
  for (const auto& b : c.branches()) branches.insert(b.id());
  for (int i = 0; i < c.auth().keys_size(); ++i) {
    const auto& k = c.auth().keys(i);
    const std::string at = "auth.keys[" + std::to_string(i) + "]";
    if (!IsKeyName(k.name()))
      return file.Error(at + ".name", "'" + k.name() + "' must be 1-64 of [A-Za-z0-9._-]");
    if (k.role() == config::v1::ROLE_UNSPECIFIED) return file.Error(at + ".role", "is required");
    bool hex = k.sha256().size() == 64;
    for (char ch : k.sha256()) hex = hex && ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'));
    if (!hex)
      return file.Error(at + ".sha256",
                        "must be the key's SHA-256 as 64 lower-case hex digits (csopsctl keygen)");
    if (!digests.insert(k.sha256()).second) return file.Error(at + ".sha256", "is listed twice");
    if (k.role() == config::v1::COUNTER && k.branch().empty())
      return file.Error(at + ".branch", "is required for a counter key");
    if (!k.branch().empty() && k.role() != config::v1::COUNTER && k.role() != config::v1::KIOSK)
      return file.Error(at + ".branch", "binds only counter and kiosk keys");
    if (!k.branch().empty() && !branches.count(k.branch()))
      return file.Error(at + ".branch", "'" + k.branch() + "' is not a configured branch");
  }
  if (!c.auth().service_key_file().empty() && c.auth().keys_size() == 0)
    return file.Error("auth.service_key_file", "needs auth.keys (access control is off)");
  return Status();
}

}  // namespace

std::string CheckListenAddress(const std::string& address) {
  const std::string bad = "'" + address + "' is not host:port";
  auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) return bad;
  std::string host = address.substr(0, colon), port = address.substr(colon + 1);
  if (port.empty() || port.size() > 5) return bad;
  for (char c : port)
    if (c < '0' || c > '9') return bad;
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return bad;
    for (char c : host.substr(1, host.size() - 2))
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') return bad;
  } else {
    for (char c : host)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') return bad;
  }
  if (std::stoi(port) > 65535) return "port " + port + " is outside 0-65535";
  return "";
}

bool IsIdentifier(const std::string& text, bool allow_upper) {
  if (text.empty() || text.size() > 63) return false;
  for (char c : text) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
              (allow_upper && c >= 'A' && c <= 'Z');
    if (!ok) return false;
  }
  return text.front() != '-';
}

Result<LoadedConfig> LoadConfig(const std::string& path) {
  LoadedConfig out;
  out.path = path;
  auto file = TextProtoFile::Parse(path, &out.proto);
  if (!file.ok()) return file.status();
  Config& c = out.proto;
  ApplyDefaults(c);

  if (auto e = CheckListenAddress(c.server().listen()); !e.empty())
    return file->Error("server.listen", e);
  const bool metrics_off = c.server().metrics_listen() == "off";
  if (auto e = CheckListenAddress(c.server().metrics_listen()); !metrics_off && !e.empty())
    return file->Error("server.metrics_listen", e);
  CSOPS_RETURN_IF_ERROR(CheckTls(*file, c.server().tls(), metrics_off));
  CSOPS_RETURN_IF_ERROR(CheckAuth(*file, c));
  if (c.server().listen() == c.server().metrics_listen())
    return file->Error("server.metrics_listen", "must differ from server.listen");
  if (auto e = CheckListenAddress(c.server().http_listen()); !e.empty())
    return file->Error("server.http_listen", e);
  if (c.server().http_listen() == c.server().listen() ||
      c.server().http_listen() == c.server().metrics_listen())
    return file->Error("server.http_listen", "must differ from server.listen and metrics_listen");
  {
    const std::string& base = c.server().public_base_url();
    if ((base.rfind("http://", 0) != 0 && base.rfind("https://", 0) != 0) || base.back() == '/' ||
        base.find_first_of(" ?#") != std::string::npos)
      return file->Error("server.public_base_url",
                         "'" + base + "' must be an http(s) address without a trailing '/'");
  }
  for (int i = 0; i < c.server().trusted_proxies_size(); ++i)
    if (auto n = ParseCidr(c.server().trusted_proxies(i)); !n.ok())
      return file->Error("server.trusted_proxies", n.status().message());
  if (const std::string& id = c.server().replica_id();
      !id.empty() && (id.size() > 64 ||
                      id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij"
                                           "klmnopqrstuvwxyz0123456789._:/-") != std::string::npos))
    return file->Error("server.replica_id", "'" + id + "' must be 1-64 of A-Z a-z 0-9 . _ : / -");
  for (int i = 0; i < c.web().staff_networks_size(); ++i)
    if (auto n = ParseCidr(c.web().staff_networks(i)); !n.ok())
      return file->Error("web.staff_networks", n.status().message());
  CSOPS_RETURN_IF_ERROR(
      CheckRange(*file, "web.board_recent_calls", c.web().board_recent_calls(), 3, 10));
  CSOPS_RETURN_IF_ERROR(
      CheckRange(*file, "web.board_highlight_seconds", c.web().board_highlight_seconds(), 3, 60));
  CSOPS_RETURN_IF_ERROR(CheckRange(*file, "web.public_requests_per_minute",
                                   c.web().public_requests_per_minute(), 10, 100000));
  CSOPS_RETURN_IF_ERROR(CheckRange(*file, "server.max_message_bytes",
                                   c.server().max_message_bytes(), 1024, 64 << 20));
  CSOPS_RETURN_IF_ERROR(CheckRange(*file, "server.max_streams_per_client",
                                   c.server().max_streams_per_client(), 1, 1000));
  CSOPS_RETURN_IF_ERROR(CheckRange(*file, "server.shutdown_grace_seconds",
                                   c.server().shutdown_grace_seconds(), 1, 300));
  CSOPS_RETURN_IF_ERROR(CheckRange(*file, "storage.max_batch", c.storage().max_batch(), 1, 4096));
  CSOPS_RETURN_IF_ERROR(
      CheckRange(*file, "storage.read_connections", c.storage().read_connections(), 1, 64));
  CSOPS_RETURN_IF_ERROR(
      CheckRange(*file, "storage.busy_timeout_ms", c.storage().busy_timeout_ms(), 0, 60000));

  std::filesystem::path base = std::filesystem::path(path).parent_path();
  if (c.storage().has_postgres()) {
    auto dsn = PostgresDsn(*file, c.storage().postgres(), base);
    if (!dsn.ok()) return dsn.status();
    out.postgres_dsn = std::move(*dsn);
  }

  if (c.calendars_size() == 0) return file->Error("calendars", "at least one calendar is required");
  for (int i = 0; i < c.calendars_size(); ++i) {
    const auto& ref = c.calendars(i);
    std::string at = "calendars[" + std::to_string(i) + "]";
    if (!IsIdentifier(ref.name(), /*allow_upper=*/false))
      return file->Error(at + ".name",
                         "'" + ref.name() + "' must be lower-case letters, digits and '-'");
    if (out.calendars.count(ref.name()))
      return file->Error(at + ".name", "'" + ref.name() + "' is defined twice");
    if (ref.file().empty()) return file->Error(at + ".file", "is required");
    std::filesystem::path cal_path = ref.file();
    if (cal_path.is_relative()) cal_path = base / cal_path;
    auto cal = LoadCalendarFile(cal_path.string());
    if (!cal.ok()) return file->Error(at + ".file", cal.status().message());
    out.calendars[ref.name()] = std::make_shared<const BusinessCalendar>(std::move(*cal));
  }
  out.source = *file;
  return out;
}

Status UsePostgresDsnFile(LoadedConfig& config, const std::string& dsn_file) {
  auto* pg = config.proto.mutable_storage()->mutable_postgres();
  ApplyPostgresDefaults(*pg);
  pg->clear_dsn();
  pg->set_dsn_file(dsn_file);
  if (!config.source) return Status::FailedPrecondition("the config is not loaded");
  auto dsn = PostgresDsn(*config.source, *pg, std::filesystem::path());
  if (!dsn.ok()) return dsn.status();
  config.postgres_dsn = std::move(*dsn);
  return Status();
}

}  // namespace csops

// csopsd's configuration: one protobuf text-format file (schema csops.config.v1.Config),
// loaded and strictly validated at start-up.
//
// LoadConfig fills every unset value with its documented default, checks every value, and loads
// every calendar the file names (paths relative to the config file's directory). Any problem is
// a kInvalidArgument/kNotFound Status whose message starts "<file>:<line>:<col>: <key>: ...";
// csopsd prints it and exits with code 2.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/base/business_calendar.h"
#include "common/base/status.h"
#include "common/config/textproto_file.h"
#include "csops/config/v1/config.pb.h"

namespace csops {

struct LoadedConfig {
  config::v1::Config proto;             // with defaults applied
  std::string path;                     // the file it came from
  std::optional<TextProtoFile> source;  // for located errors from section validators
  std::map<std::string, std::shared_ptr<const BusinessCalendar>> calendars;  // by name
  // storage.postgres's connection string (from dsn or dsn_file); "" when on SQLite. It may
  // hold a password: never log it.
  std::string postgres_dsn;
};

Result<LoadedConfig> LoadConfig(const std::string& path);

// Switches `config` to PostgreSQL storage with the connection string read from `dsn_file`
// (relative to the working directory), as csopsd --postgres-dsn-file does; the other
// storage.postgres settings keep their configured values or defaults.
Status UsePostgresDsnFile(LoadedConfig& config, const std::string& dsn_file);

// Checks "host:port" (host may be a name, an IPv4 address or a bracketed IPv6 address; port
// 0-65535, where 0 lets the OS pick a free port, which csopsd then logs). Returns an error message,
// or "" when valid.
std::string CheckListenAddress(const std::string& address);

// 1-63 characters of [a-z0-9-] (and [A-Z] when allow_upper), not starting with '-'.
bool IsIdentifier(const std::string& text, bool allow_upper);

}  // namespace csops

// Command-line flags of csopsd, parsed with CLI11 (flags.cc). Flags override the config file for
// values that differ per process; everything else lives in the config file.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/base/status.h"
#include "services/csopsd/targets.h"

namespace csops::csopsd {

struct Flags {
  std::string config = "deploy/csopsd.textproto";                                  // --config
  std::vector<Target> targets = {Target::kQueue, Target::kCase, Target::kNotify};  // --target
  std::optional<std::string> listen;          // --listen overrides server.listen
  std::optional<std::string> metrics_listen;  // --metrics-listen overrides server.metrics_listen
  std::optional<std::string> http_listen;     // --http-listen overrides server.http_listen
  std::optional<std::string> data_dir;        // --data-dir overrides server.data_dir
  // --postgres-dsn-file: PostgreSQL storage with the connection string in that file.
  std::optional<std::string> postgres_dsn_file;
  bool help = false;          // --help
  bool version = false;       // --version
  bool print_policy = false;  // --print-policy: the access table as JSON
  bool check_config = false;  // --check-config: validate, print, exit 0 or 2
};

// Accepts "--name=value" and "--name value"; a flag given twice keeps its last value. Unknown
// flags, missing or empty values, bad addresses or targets and positional arguments are
// kInvalidArgument naming the flag. --help (-h) is no error: it sets `help` and nothing else is
// checked.
Result<Flags> ParseFlags(int argc, const char* const* argv);

// The text --help prints: every flag, its default, and the exit codes.
std::string Usage();

}  // namespace csops::csopsd

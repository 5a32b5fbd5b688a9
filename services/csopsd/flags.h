// Command-line flags of csopsd. Flags override the config file for values that differ per
// process; everything else lives in the config file.
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
  bool help = false;                          // --help
  bool version = false;                       // --version
  bool print_policy = false;                  // --print-policy: the access table as JSON
  bool check_config = false;                  // --check-config: validate, print, exit 0 or 2
};

// Accepts "--name=value" and "--name value". Unknown flags, missing values and positional
// arguments are kInvalidArgument naming the flag.
Result<Flags> ParseFlags(int argc, const char* const* argv);

extern const char kUsage[];

}  // namespace csops::csopsd

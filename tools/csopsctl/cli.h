// csopsctl's shared pieces: global options, the channel, per-call deadlines, and how commands
// join the command line (CLI11, see tools/flags/flags.h for the conventions).
// Every command returns a process exit code: 0 success, 1 the server said no or could not be
// reached, 2 usage error.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/auth/client_auth.h"

namespace CLI {
class App;
}  // namespace CLI

namespace csops::ctl {

struct GlobalOptions {
  std::string addr = "127.0.0.1:50051";     // --addr
  std::chrono::milliseconds timeout{5000};  // --timeout (seconds, may be fractional)
  auth::ClientAuth auth;                    // $CSOPS_API_KEY..., --api-key-file, $CSOPS_TLS_CA
};

// Context with the deadline every call must carry.
std::unique_ptr<grpc::ClientContext> NewContext(const GlobalOptions& options);
std::shared_ptr<grpc::Channel> NewChannel(const GlobalOptions& options);
// "UNAVAILABLE: failed to connect ..." for the user.
std::string Describe(const grpc::Status& status);
// 0 for OK; otherwise prints the status and returns 1.
int CheckCall(const grpc::Status& status);
// A usage error found after parsing ("csopsctl queue: --notify: unknown channel 'x'" and where
// to find --help); returns 2. `command` is e.g. "queue".
int UsageError(const std::string& command, const std::string& why);

// The command the command line chose, bound to its parsed options; main() runs it once parsing
// succeeded and the global options are final, and returns what it returns.
using Command = std::function<int()>;

// Each Add* registers one command (with its subcommands and their typed options) on `app`. The
// parse callback of the command line's choice stores its work in `*run`; `options` is read only
// when that work runs.
void AddHealth(CLI::App& app, const GlobalOptions& options, Command* run);
void AddInfo(CLI::App& app, const GlobalOptions& options, Command* run);
void AddQueue(CLI::App& app, const GlobalOptions& options, Command* run);
void AddCase(CLI::App& app, const GlobalOptions& options, Command* run);
void AddNotify(CLI::App& app, const GlobalOptions& options, Command* run);
// Template variables are written --var.NAME=VALUE, a name CLI11 cannot declare: returns argv
// with each such argument spelt "--var=NAME=VALUE", the option `notify send` and `notify plan
// start` declare.
std::vector<std::string> SpellVarsForCli11(int argc, const char* const* argv);
// Makes an API key: prints it once, with the auth.keys stanza holding its SHA-256.
void AddKeygen(CLI::App& app, Command* run);
// Offline: merges the DGPA's yearly office calendars into a calendar file (calendar_cmd.cc).
void AddCalendar(CLI::App& app, Command* run);
// Offline: copies a data directory's SQLite files into PostgreSQL and verifies (migrate_cmd.cc).
void AddMigrate(CLI::App& app, Command* run);

}  // namespace csops::ctl

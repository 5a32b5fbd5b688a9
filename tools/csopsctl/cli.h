// csopsctl's shared pieces: global options, the channel, and per-call deadlines.
// Every subcommand returns a process exit code: 0 success, 1 the server said no or could not be
// reached, 2 usage error.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/auth/client_auth.h"

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

// A subcommand's "--name=value" options and positional arguments.
struct CommandArgs {
  std::map<std::string, std::string> opts;
  std::vector<std::string> positional;
  std::string Get(const std::string& key, const std::string& fallback = "") const {
    auto it = opts.find(key);
    return it == opts.end() ? fallback : it->second;
  }
};
// Parses raw[1..]; an option without '=' is an error message in `error`.
CommandArgs ParseCommandArgs(const std::vector<std::string>& raw, std::string* error);
// 0 for OK; otherwise prints the status and returns 1.
int CheckCall(const grpc::Status& status);

int RunHealth(const GlobalOptions& options, const std::vector<std::string>& args);
int RunInfo(const GlobalOptions& options, const std::vector<std::string>& args);
int RunQueue(const GlobalOptions& options, const std::vector<std::string>& args);
int RunCase(const GlobalOptions& options, const std::vector<std::string>& args);
int RunNotify(const GlobalOptions& options, const std::vector<std::string>& args);
// Makes an API key: prints it once, with the auth.keys stanza holding its SHA-256.
int RunKeygen(const std::vector<std::string>& args);
// Offline: merges the DGPA's yearly office calendars into a calendar file (calendar_cmd.cc).
int RunCalendar(const std::vector<std::string>& args);

}  // namespace csops::ctl

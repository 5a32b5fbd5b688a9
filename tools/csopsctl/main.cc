// csopsctl: the operator's and counter's command-line client for csopsd.
//   csopsctl [--addr=HOST:PORT] [--timeout=SECONDS] <command> [args]
// Commands grow with the services; each call carries a deadline (--timeout, default 5 s).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tools/csopsctl/cli.h"

namespace {

constexpr char kUsage[] =
    "usage: csopsctl [--addr=HOST:PORT] [--timeout=SECONDS] <command> [args]\n"
    "\n"
    "commands:\n"
    "  health [SERVICE]   grpc.health.v1 status of the server and its services\n"
    "  info               version, services, start time and calendars of the server\n"
    "  queue ...          tickets, counters and boards (csopsctl queue for details)\n"
    "  case ...           applications and complaints (csopsctl case for details)\n"
    "  notify ...         notices, campaigns, escalation plans (csopsctl notify for details)\n"
    "  calendar import [--into=CALENDAR] [--out=FILE] YEAR.csv...\n"
    "                     merge the DGPA's yearly office calendars into a calendar file\n"
    "  keygen --name=N --role=R [--branch=B]\n"
    "                     make an API key; prints it once and its auth.keys stanza\n"
    "\n"
    "  --addr          csopsd gRPC address (default 127.0.0.1:50051, or $CSOPS_ADDR)\n"
    "  --timeout       deadline of each call in seconds (default 5)\n"
    "  --api-key-file  file holding the API key (or $CSOPS_API_KEY / $CSOPS_API_KEY_FILE)\n"
    "  TLS: $CSOPS_TLS_CA (trusted CAs; set = use TLS), $CSOPS_TLS_CERT and $CSOPS_TLS_KEY\n"
    "       (client certificate for mutual TLS), $CSOPS_TLS_SERVER_NAME\n"
    "exit codes: 0 ok, 1 not serving or the call failed, 2 usage error\n";

int Usage(const std::string& why) {
  if (!why.empty()) std::fprintf(stderr, "csopsctl: %s\n", why.c_str());
  std::fputs(kUsage, stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  csops::ctl::GlobalOptions options;
  if (const char* env = std::getenv("CSOPS_ADDR"); env && *env) options.addr = env;
  auto auth = csops::auth::ClientAuthFromEnvironment();
  if (!auth.ok()) return Usage(auth.status().message());
  options.auth = *auth;
  int i = 1;
  for (; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) break;
    if (arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    auto eq = arg.find('=');
    if (eq == std::string::npos) return Usage("flags take the form --name=value: " + arg);
    std::string name = arg.substr(0, eq), value = arg.substr(eq + 1);
    if (name == "--addr") {
      if (value.empty()) return Usage("--addr: must not be empty");
      options.addr = value;
    } else if (name == "--timeout") {
      char* end = nullptr;
      double secs = std::strtod(value.c_str(), &end);
      if (value.empty() || *end != '\0' || !(secs > 0) || secs > 3600)
        return Usage("--timeout: '" + value + "' is not a number of seconds in (0, 3600]");
      options.timeout = std::chrono::milliseconds(static_cast<long>(secs * 1000));
    } else if (name == "--api-key-file") {
      auto key = csops::auth::ReadKeyFile(value, "--api-key-file");
      if (!key.ok()) return Usage(key.status().message());
      options.auth.api_key = *key;
    } else {
      return Usage("unknown flag " + name);
    }
  }
  if (i >= argc) return Usage("missing command");
  std::string command = argv[i++];
  std::vector<std::string> args(argv + i, argv + argc);
  if (command == "health") return csops::ctl::RunHealth(options, args);
  if (command == "info") return csops::ctl::RunInfo(options, args);
  if (command == "queue") return csops::ctl::RunQueue(options, args);
  if (command == "case") return csops::ctl::RunCase(options, args);
  if (command == "notify") return csops::ctl::RunNotify(options, args);
  if (command == "keygen") return csops::ctl::RunKeygen(args);
  if (command == "calendar") return csops::ctl::RunCalendar(args);
  return Usage("unknown command '" + command + "'");
}

#include "services/csopsd/flags.h"

#include "common/config/config.h"

namespace csops::csopsd {

const char kUsage[] =
    "usage: csopsd [--config=FILE] [--target=all|queue,case,notify] [--listen=HOST:PORT]\n"
    "              [--metrics-listen=HOST:PORT] [--http-listen=HOST:PORT] [--data-dir=DIR]\n"
    "              [--check-config] [--print-policy] [--version] [--help]\n"
    "\n"
    "  --config          config file (protobuf text format); default deploy/csopsd.textproto\n"
    "  --target          services to run: 'all' (default) or a comma list of queue, case, notify\n"
    "  --listen          gRPC address, overrides server.listen\n"
    "  --metrics-listen  /metrics address or 'off', overrides server.metrics_listen\n"
    "  --http-listen     web address (receipts, pages), overrides server.http_listen\n"
    "  --data-dir        directory of the SQLite files, overrides server.data_dir\n"
    "  --check-config    validate the config and every file it names (calendars, templates,\n"
    "                    TLS, keys), print what was loaded, exit 0 (valid) or 2; serves nothing\n"
    "  --print-policy    print the access table (every RPC and HTTP route, roles allowed)\n"
    "\n"
    "Exit codes: 0 clean stop (SIGTERM/SIGINT), 1 runtime failure, 2 bad flags or config.\n";

Result<Flags> ParseFlags(int argc, const char* const* argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      f.help = true;
      continue;
    }
    if (arg == "--version") {
      f.version = true;
      continue;
    }
    if (arg == "--check-config") {
      f.check_config = true;
      continue;
    }
    if (arg == "--print-policy") {
      f.print_policy = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0)
      return Status::InvalidArgument("unexpected argument '" + arg + "'");
    std::string name = arg, value;
    bool has_value = false;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    const bool known = name == "--config" || name == "--target" || name == "--listen" ||
                       name == "--metrics-listen" || name == "--http-listen" ||
                       name == "--data-dir";
    if (!known) return Status::InvalidArgument("unknown flag '" + name + "'");
    if (!has_value) {
      if (i + 1 >= argc) return Status::InvalidArgument(name + ": needs a value");
      value = argv[++i];
    }
    if (value.empty()) return Status::InvalidArgument(name + ": must not be empty");
    if (name == "--config") {
      f.config = value;
    } else if (name == "--target") {
      auto t = ParseTargets(value);
      if (!t.ok()) return t.status();
      f.targets = *t;
    } else if (name == "--listen" || name == "--metrics-listen" || name == "--http-listen") {
      const bool off = name == "--metrics-listen" && value == "off";
      if (auto e = CheckListenAddress(value); !off && !e.empty())
        return Status::InvalidArgument(name + ": " + e);
      (name == "--listen"           ? f.listen
       : name == "--metrics-listen" ? f.metrics_listen
                                    : f.http_listen) = value;
    } else {
      f.data_dir = value;
    }
  }
  return f;
}

}  // namespace csops::csopsd

#include "services/csopsd/flags.h"

#include <CLI/CLI.hpp>

#include "common/config/config.h"

namespace csops::csopsd {
namespace {

// The text of the flags that ParseFlags checks and converts after CLI11 has parsed them.
struct RawFlags {
  std::string target = "all";
  std::string listen, metrics_listen, http_listen, data_dir, postgres_dsn_file;
};

CLI::Validator NotEmpty() {
  return CLI::Validator(
      [](std::string& text) -> std::string { return text.empty() ? "must not be empty" : ""; }, "");
}

// A HOST:PORT address; "off" too when `off_allowed` (--metrics-listen).
CLI::Validator ListenAddress(bool off_allowed) {
  return CLI::Validator(
      [off_allowed](std::string& text) -> std::string {
        if (off_allowed && text == "off") return "";
        return CheckListenAddress(text);
      },
      "");
}

// csopsd's flags bound to `f` and `raw`. Every flag takes its last value when given twice.
void DefineFlags(CLI::App& app, Flags& f, RawFlags& raw) {
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.footer(
      "Exit codes: 0 clean stop (SIGTERM/SIGINT), 1 runtime failure, 2 bad flags or config.");
  app.add_option("--config", f.config, "config file (protobuf text format)")
      ->check(NotEmpty())
      ->capture_default_str();
  app.add_option("--target", raw.target,
                 "services to run: 'all' or a comma list of queue, case, notify")
      ->check(NotEmpty())
      ->capture_default_str();
  app.add_option("--listen", raw.listen, "gRPC address HOST:PORT, overrides server.listen")
      ->check(NotEmpty())
      ->check(ListenAddress(false));
  app.add_option("--metrics-listen", raw.metrics_listen,
                 "/metrics address HOST:PORT or 'off', overrides server.metrics_listen")
      ->check(NotEmpty())
      ->check(ListenAddress(true));
  app.add_option("--http-listen", raw.http_listen,
                 "web address HOST:PORT (receipts, pages), overrides server.http_listen")
      ->check(NotEmpty())
      ->check(ListenAddress(false));
  app.add_option("--data-dir", raw.data_dir,
                 "directory of the SQLite files, overrides server.data_dir")
      ->check(NotEmpty());
  app.add_option("--postgres-dsn-file", raw.postgres_dsn_file,
                 "keep the data in the PostgreSQL database whose connection string is in this "
                 "file, overrides storage.postgres's dsn and dsn_file")
      ->check(NotEmpty());
  app.add_flag("--check-config", f.check_config,
               "validate the config and every file it names (calendars, templates, TLS, keys), "
               "print what was loaded, exit 0 (valid) or 2; serves nothing");
  app.add_flag("--print-policy", f.print_policy,
               "print the access table (every RPC and HTTP route, roles allowed) as JSON");
  app.add_flag("--version", f.version, "print the version");
}

}  // namespace

std::string Usage() {
  Flags f;
  RawFlags raw;
  CLI::App app("csopsd: the csops gRPC server (queue, case, notify).", "csopsd");
  DefineFlags(app, f, raw);
  return app.help();
}

Result<Flags> ParseFlags(int argc, const char* const* argv) {
  Flags f;
  RawFlags raw;
  CLI::App app("", "csopsd");
  DefineFlags(app, f, raw);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    Flags help;
    help.help = true;
    return help;
  } catch (const CLI::ParseError& e) {
    return Status::InvalidArgument(e.what());
  }
  auto targets = ParseTargets(raw.target);
  if (!targets.ok()) return targets.status();
  f.targets = *targets;
  if (app.count("--listen")) f.listen = raw.listen;
  if (app.count("--metrics-listen")) f.metrics_listen = raw.metrics_listen;
  if (app.count("--http-listen")) f.http_listen = raw.http_listen;
  if (app.count("--data-dir")) f.data_dir = raw.data_dir;
  if (app.count("--postgres-dsn-file")) f.postgres_dsn_file = raw.postgres_dsn_file;
  return f;
}

}  // namespace csops::csopsd

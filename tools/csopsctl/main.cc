// csopsctl: the operator's and counter's command-line client for csopsd.
//   csopsctl [--addr=HOST:PORT] [--timeout=SECONDS] [--api-key-file=FILE] <command> [args]
// Commands grow with the services; each call carries a deadline (--timeout, default 5 s).
// `csopsctl --help` lists the commands, `csopsctl <command> ... --help` their options.
#include <chrono>
#include <string>
#include <vector>

#include "tools/csopsctl/cli.h"
#include "tools/flags/flags.h"

int main(int argc, char** argv) {
  using namespace csops;
  ctl::GlobalOptions options;
  CLI::App app("csopsctl: the operator's and counter's command-line client for csopsd.",
               "csopsctl");
  flags::UseCsopsConventions(app);
  double timeout_s = 5;
  std::string key_file;
  app.add_option("--addr", options.addr, "csopsd gRPC address")
      ->envname("CSOPS_ADDR")
      ->check(flags::NotEmpty())
      ->capture_default_str();
  app.add_option("--timeout", timeout_s, "deadline of each call in seconds")
      ->check(flags::Seconds(3600))
      ->capture_default_str();
  app.add_option("--api-key-file", key_file, "file holding the API key")->check(flags::NotEmpty());
  app.require_subcommand(1);
  ctl::Command run;
  ctl::AddHealth(app, options, &run);
  ctl::AddInfo(app, options, &run);
  ctl::AddQueue(app, options, &run);
  ctl::AddCase(app, options, &run);
  ctl::AddNotify(app, options, &run);
  ctl::AddCalendar(app, &run);
  ctl::AddMigrate(app, &run);
  ctl::AddKeygen(app, &run);
  // Set after the commands were added, so that only `csopsctl --help` shows it.
  app.footer(
      "The API key: --api-key-file, $CSOPS_API_KEY or $CSOPS_API_KEY_FILE.\n"
      "TLS: $CSOPS_TLS_CA (trusted CAs; set = use TLS), $CSOPS_TLS_CERT and $CSOPS_TLS_KEY\n"
      "     (client certificate for mutual TLS), $CSOPS_TLS_SERVER_NAME\n"
      "Exit codes: 0 ok, 1 not serving or the call failed, 2 usage error.");
  const std::vector<std::string> args = ctl::SpellVarsForCli11(argc, argv);
  std::vector<const char*> arg_ptrs;
  for (const std::string& arg : args) arg_ptrs.push_back(arg.c_str());
  if (auto rc = flags::Parse(app, static_cast<int>(arg_ptrs.size()), arg_ptrs.data())) return *rc;

  options.timeout = std::chrono::milliseconds(static_cast<long>(timeout_s * 1000));
  auto client_auth = auth::ClientAuthFromEnvironment();
  if (!client_auth.ok()) return flags::UsageError("csopsctl", client_auth.status().message());
  options.auth = *client_auth;
  if (!key_file.empty()) {
    auto key = auth::ReadKeyFile(key_file, "--api-key-file");
    if (!key.ok()) return flags::UsageError("csopsctl", key.status().message());
    options.auth.api_key = *key;
  }
  return run();
}

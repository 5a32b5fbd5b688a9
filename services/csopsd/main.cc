// csopsd: flags and config -> the chosen services -> serve until SIGTERM/SIGINT.
//
// Exit codes: 0 after a clean stop, 1 when it cannot serve (port in use, data dir locked),
// 2 for bad flags or a bad config file.
#include <malloc.h>
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <iostream>

#include "common/auth/policy.h"
#include "common/base/log.h"
#include "common/config/config.h"
#include "services/case/case_config.h"
#include "services/csopsd/access_table.h"
#include "services/csopsd/check_config.h"
#include "services/csopsd/flags.h"
#include "services/csopsd/server.h"
#include "services/notify/notify_config.h"
#include "services/queue/queue_config.h"

namespace {

csops::log::Level ToLogLevel(csops::config::v1::LogLevel level) {
  switch (level) {
    case csops::config::v1::DEBUG:
      return csops::log::Level::kDebug;
    case csops::config::v1::WARNING:
      return csops::log::Level::kWarning;
    case csops::config::v1::ERROR:
      return csops::log::Level::kError;
    default:
      return csops::log::Level::kInfo;
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace csops;
  // glibc returns freed memory of thread arenas with madvise(), and every such call sends a
  // TLB-shootdown interrupt to the other cores running csopsd's threads. Under load that cost
  // the SQLite writer a fifth of its throughput (docs/BENCHMARKS.md); keeping freed memory
  // in the arenas avoids it. Memory use stays bounded by the peak working set.
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  // Block the stop signals in every thread; main() waits for them with sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto flags = csopsd::ParseFlags(argc, argv);
  if (!flags.ok()) {
    std::fprintf(stderr, "csopsd: %s\nRun 'csopsd --help' for more information.\n",
                 flags.status().message().c_str());
    return 2;
  }
  if (flags->help) {
    std::fputs(csopsd::Usage().c_str(), stdout);
    return 0;
  }
  if (flags->version) {
    std::printf("csopsd %s\n", csopsd::kVersion);
    return 0;
  }
  if (flags->print_policy) {
    auto table = csopsd::BuildAccessTable();
    if (!table.ok()) {
      std::fprintf(stderr, "csopsd: %s\n", table.status().message().c_str());
      return 1;
    }
    std::fputs(table->Json().c_str(), stdout);
    return 0;
  }
  if (flags->check_config) return csopsd::CheckConfig(*flags, stdout, stderr);
  auto config = LoadConfig(flags->config);
  if (config.ok() && flags->postgres_dsn_file) {
    if (Status s = UsePostgresDsnFile(*config, *flags->postgres_dsn_file); !s.ok()) config = s;
  }
  if (!config.ok()) {
    std::fprintf(stderr, "csopsd: config error: %s\n", config.status().message().c_str());
    return 2;
  }
  log::SetMinLevel(ToLogLevel(config->proto.log().level()));
  // Every section is validated whatever the targets, so a config that works for one process
  // works for all.
  auto branches = queue::BuildBranchModels(*config);
  if (!branches.ok()) {
    std::fprintf(stderr, "csopsd: config error: %s\n", branches.status().message().c_str());
    return 2;
  }

  auto case_config = cases::BuildCaseConfig(*config);
  if (!case_config.ok()) {
    std::fprintf(stderr, "csopsd: config error: %s\n", case_config.status().message().c_str());
    return 2;
  }

  auto notify_config = notify::BuildNotifyConfig(*config);
  if (!notify_config.ok()) {
    std::fprintf(stderr, "csopsd: config error: %s\n", notify_config.status().message().c_str());
    return 2;
  }

  auto server = csopsd::Server::Start(*config, *flags, std::move(*branches),
                                      std::move(*case_config), std::move(*notify_config));
  if (!server.ok()) {
    CSOPS_LOG(kError, "start_failed").Kv("error", server.status().ToString());
    std::fprintf(stderr, "csopsd: %s\n", server.status().message().c_str());
    return 1;
  }
  const std::string targets = csopsd::JoinTargetNames(flags->targets);
  CSOPS_LOG(kInfo, "serving")
      .Kv("version", csopsd::kVersion)
      .Kv("targets", targets)
      .Kv("grpc", (*server)->grpc_address())
      .Kv("metrics", (*server)->metrics_url())
      .Kv("config", flags->config);
  std::cout << "csopsd " << csopsd::kVersion << " serving " << targets << "\n"
            << "  gRPC API : " << (*server)->grpc_address() << "\n"
            << "  metrics  : " << (*server)->metrics_url() << "\n"
            << "  web      : " << (*server)->web_url() << "/\n"
            << "  stop with Ctrl-C or SIGTERM" << std::endl;

  // SIGHUP re-reads the config file and puts new case types, calendars and API keys in force; a
  // bad file is reported and the running rules stay. SIGTERM/SIGINT stop.
  int sig = 0;
  for (;;) {
    sigwait(&stop_signals, &sig);
    if (sig != SIGHUP) break;
    auto fresh = LoadConfig(flags->config);
    Result<cases::CaseConfig> fresh_cases =
        fresh.ok() ? cases::BuildCaseConfig(*fresh) : Result<cases::CaseConfig>(fresh.status());
    // Keys first: their reload can still refuse (access control switched on or off), and then
    // nothing of the file applies.
    Status s = fresh_cases.ok() ? (*server)->ReloadAuth(fresh->proto.auth()) : fresh_cases.status();
    if (s.ok()) s = (*server)->ReloadCases(std::move(*fresh_cases));
    if (s.ok()) {
      CSOPS_LOG(kInfo, "config_reloaded")
          .Kv("config", flags->config)
          .Kv("applies", "case_types,calendars,auth.keys");
    } else {
      CSOPS_LOG(kError, "config_reload_failed").Kv("error", s.ToString()).Kv("kept", "previous");
    }
  }
  const int grace = config->proto.server().shutdown_grace_seconds();
  CSOPS_LOG(kInfo, "stopping")
      .Kv("signal", sig == SIGINT ? "SIGINT" : "SIGTERM")
      .Kv("grace_s", grace);
  (*server)->Shutdown(std::chrono::seconds(grace));
  CSOPS_LOG(kInfo, "stopped");
  return 0;
}

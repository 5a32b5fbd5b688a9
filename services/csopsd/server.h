// The csopsd process: binds the gRPC listener and /metrics, registers the services selected by
// --target plus grpc.health.v1 and server reflection, and stops cleanly.
//
// Start() either returns a fully serving Server or an error with nothing left running.
// Shutdown() marks every health status NOT_SERVING, stops accepting, gives in-flight RPCs up
// to `grace` to finish, then cancels the rest, flushes the storage writers and releases the
// data directory. Thread safety: Shutdown() is called once, from the main thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "common/base/status.h"
#include "common/config/config.h"
#include "csops/version.h"
#include "services/case/case_config.h"
#include "services/csopsd/flags.h"
#include "services/notify/notify_config.h"
#include "services/queue/queue_config.h"

namespace csops::csopsd {

using csops::kVersion;  // csops/version.h, from CMakeLists.txt's project(VERSION)

class Server {
 public:
  // REQUIRES: `branches` were built from `config` (csopsd validates them before serving).
  static Result<std::unique_ptr<Server>> Start(
      const LoadedConfig& config, const Flags& flags,
      std::vector<std::shared_ptr<const queue::BranchModel>> branches, cases::CaseConfig cases,
      notify::NotifyConfig notify);
  ~Server();

  // Actual addresses, with any port 0 replaced by the port the OS picked.
  const std::string& grpc_address() const;
  const std::string& metrics_address() const;
  const std::string& http_address() const;
  // "http(s)://<http_address>", and where /metrics is scraped (metrics_listen, else the web).
  std::string web_url() const;
  std::string metrics_url() const;
  void Shutdown(std::chrono::seconds grace);
  // SIGHUP: puts new case types and calendars in force (no-op without the case target).
  Status ReloadCases(cases::CaseConfig cases);
  // SIGHUP: puts the config's API keys in force (a removed key is refused from now on).
  // FailedPrecondition when the reload would switch access control on or off.
  Status ReloadAuth(const config::v1::AuthConfig& auth);

 private:
  struct State;
  explicit Server(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace csops::csopsd

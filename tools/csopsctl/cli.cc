#include "tools/csopsctl/cli.h"

#include <cstdio>

#include "common/grpc/grpc_metrics_interceptor.h"
#include "tools/flags/flags.h"

namespace csops::ctl {

std::unique_ptr<grpc::ClientContext> NewContext(const GlobalOptions& options) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + options.timeout);
  options.auth.Apply(ctx.get());
  return ctx;
}

std::shared_ptr<grpc::Channel> NewChannel(const GlobalOptions& options) {
  return options.auth.Connect(options.addr);
}

std::string Describe(const grpc::Status& status) {
  std::string hint;
  if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED)
    hint = " (set CSOPS_API_KEY or --api-key-file to a key from csopsctl keygen)";
  if (status.error_code() == grpc::StatusCode::PERMISSION_DENIED)
    hint = " (csopsd --print-policy shows which roles may call what)";
  return std::string(metrics::GrpcCodeName(status.error_code())) + ": " + status.error_message() +
         hint;
}

int CheckCall(const grpc::Status& status) {
  if (status.ok()) return 0;
  std::fprintf(stderr, "csopsctl: %s\n", Describe(status).c_str());
  return 1;
}

int UsageError(const std::string& command, const std::string& why) {
  return flags::UsageError("csopsctl " + command, why);
}

}  // namespace csops::ctl

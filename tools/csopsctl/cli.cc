#include "tools/csopsctl/cli.h"

#include "common/metrics/grpc_metrics_interceptor.h"

namespace csops::ctl {

std::unique_ptr<grpc::ClientContext> NewContext(const GlobalOptions& options) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + options.timeout);
  return ctx;
}

std::shared_ptr<grpc::Channel> NewChannel(const GlobalOptions& options) {
  return grpc::CreateChannel(options.addr, grpc::InsecureChannelCredentials());
}

std::string Describe(const grpc::Status& status) {
  return std::string(metrics::GrpcCodeName(status.error_code())) + ": " + status.error_message();
}

}  // namespace csops::ctl

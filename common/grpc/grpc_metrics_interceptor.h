// A gRPC server interceptor that counts and times every RPC, with the metric names used by
// go-grpc-prometheus so stock dashboards work:
//   grpc_server_started_total{grpc_type,grpc_service,grpc_method}
//   grpc_server_handled_total{grpc_type,grpc_service,grpc_method,grpc_code}
//   grpc_server_handling_seconds{grpc_type,grpc_service,grpc_method}  (histogram)
// Labels come from the method path only, never from request content.
// Thread safety: the factory and its families are shared by all RPCs; prometheus-cpp metrics
// are thread-safe.
#pragma once

#include <grpcpp/support/server_interceptor.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <string>

namespace csops::metrics {

class GrpcMetricsInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // REQUIRES: `registry` outlives the factory and every server it is installed in.
  explicit GrpcMetricsInterceptorFactory(prometheus::Registry& registry);

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

  prometheus::Family<prometheus::Counter>& started() { return started_; }
  prometheus::Family<prometheus::Counter>& handled() { return handled_; }
  prometheus::Family<prometheus::Histogram>& handling_seconds() { return seconds_; }

 private:
  prometheus::Family<prometheus::Counter>& started_;
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Histogram>& seconds_;
};

// "/csops.admin.v1.AdminService/GetServerInfo" -> {"csops.admin.v1.AdminService",
// "GetServerInfo"}; anything else -> {"unknown", "unknown"}.
std::pair<std::string, std::string> SplitMethodPath(const char* path);

// The canonical upper-case name of a gRPC status code, e.g. "INVALID_ARGUMENT".
const char* GrpcCodeName(grpc::StatusCode code);

}  // namespace csops::metrics

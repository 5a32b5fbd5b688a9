#include "common/grpc/grpc_metrics_interceptor.h"

#include <chrono>
#include <cstring>

namespace csops::metrics {

using grpc::experimental::InterceptionHookPoints;

std::pair<std::string, std::string> SplitMethodPath(const char* path) {
  if (path == nullptr || path[0] != '/') return {"unknown", "unknown"};
  const char* slash = std::strchr(path + 1, '/');
  if (slash == nullptr || slash[1] == '\0') return {"unknown", "unknown"};
  return {std::string(path + 1, slash), std::string(slash + 1)};
}

const char* GrpcCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "UNKNOWN";
  }
}

namespace {

const char* TypeName(grpc::experimental::ServerRpcInfo::Type type) {
  using T = grpc::experimental::ServerRpcInfo::Type;
  switch (type) {
    case T::UNARY:
      return "unary";
    case T::CLIENT_STREAMING:
      return "client_stream";
    case T::SERVER_STREAMING:
      return "server_stream";
    case T::BIDI_STREAMING:
      return "bidi_stream";
    default:
      return "unknown";
  }
}

class GrpcMetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  GrpcMetricsInterceptor(GrpcMetricsInterceptorFactory& f, grpc::experimental::ServerRpcInfo* info)
      : factory_(f), start_(std::chrono::steady_clock::now()) {
    auto [service, method] = SplitMethodPath(info->method());
    labels_ = {{"grpc_type", TypeName(info->type())},
               {"grpc_service", std::move(service)},
               {"grpc_method", std::move(method)}};
    factory_.started().Add(labels_).Increment();
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      std::chrono::duration<double> secs = std::chrono::steady_clock::now() - start_;
      auto handled_labels = labels_;
      handled_labels["grpc_code"] = GrpcCodeName(methods->GetSendStatus().error_code());
      factory_.handled().Add(handled_labels).Increment();
      factory_.handling_seconds()
          .Add(labels_,
               prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                       0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10})
          .Observe(secs.count());
    }
    methods->Proceed();
  }

 private:
  GrpcMetricsInterceptorFactory& factory_;
  std::chrono::steady_clock::time_point start_;
  std::map<std::string, std::string> labels_;
};

}  // namespace

GrpcMetricsInterceptorFactory::GrpcMetricsInterceptorFactory(prometheus::Registry& registry)
    : started_(prometheus::BuildCounter()
                   .Name("grpc_server_started_total")
                   .Help("RPCs started on the server")
                   .Register(registry)),
      handled_(prometheus::BuildCounter()
                   .Name("grpc_server_handled_total")
                   .Help("RPCs completed on the server, by status code")
                   .Register(registry)),
      seconds_(prometheus::BuildHistogram()
                   .Name("grpc_server_handling_seconds")
                   .Help("Time from the start of an RPC to its status being sent")
                   .Register(registry)) {}

grpc::experimental::Interceptor* GrpcMetricsInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new GrpcMetricsInterceptor(*this, info);
}

}  // namespace csops::metrics

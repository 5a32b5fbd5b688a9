// Requests gRPC cannot parse are INVALID_ARGUMENT, not UNIMPLEMENTED.
//
// gRPC 1.51's callback handlers answer UNIMPLEMENTED with an empty message when the request
// bytes do not parse (e.g. invalid UTF-8 in a string field): a client reads that as "no such
// method", and only protobuf's log on stderr names the field. This server interceptor sees such
// a call (a unary or server-streaming method whose request message arrived as nothing) and
// replaces that status with INVALID_ARGUMENT:
//   "request could not be parsed as csops.case.v1.CreateCaseRequest: string field
//    'applicant.name' is not valid UTF-8"
// or, when protobuf named no field, "...: it is not a valid protobuf encoding of that message".
// The field comes from protobuf's own parse error, caught by a log handler this installs (every
// message still goes on to the previous handler) and kept per thread: gRPC parses the request
// and runs the interceptors on the same thread, one call after another. A method that does not
// exist is untouched (still UNIMPLEMENTED), and so are client streams, whose reads report their
// failure to the handler (SendBatch answers it itself).
// Install it first, so the metrics interceptor counts the status actually sent.
// Thread safety: the factory and its interceptors may be used from any thread.
#pragma once

#include <grpcpp/support/server_interceptor.h>

#include <string>

namespace csops::grpcx {

class RequestParseErrorInterceptorFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // Installs the protobuf log handler (once per process).
  RequestParseErrorInterceptorFactory();
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;
};

// The message for a request of `method` ("/pkg.Service/Method") that did not parse, given the
// protobuf log line of the failure ("" if none). Exposed for tests.
std::string ParseErrorMessage(const std::string& method, const std::string& protobuf_log);

}  // namespace csops::grpcx

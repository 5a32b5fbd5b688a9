// Finishing callback-API unary reactors from engine results, shared by the services' gRPC
// adapters: a Status becomes the gRPC status (ToGrpcStatus), a value is copied into the
// response by `fill` and the call finishes OK.
#pragma once

#include <grpcpp/grpcpp.h>

#include <functional>

#include "common/base/status.h"
#include "common/grpc/grpc_status.h"

namespace csops {

// A completion that finishes `reactor`: with the error, or after fill(value).
template <typename T, typename Fill>
std::function<void(Result<T>)> Reply(grpc::ServerUnaryReactor* reactor, Fill fill) {
  return [reactor, fill = std::move(fill)](Result<T> r) {
    if (!r.ok()) {
      reactor->Finish(ToGrpcStatus(r.status()));
      return;
    }
    fill(*r);
    reactor->Finish(grpc::Status::OK);
  };
}

// A streaming call's reactor that only finishes it with an error (refused before it starts):
//   return new Refused<grpc::ServerWriteReactor<Event>>(ToGrpcStatus(status));
// It deletes itself when gRPC is done with it.
template <typename StreamReactor>
class Refused final : public StreamReactor {
 public:
  explicit Refused(grpc::Status s) { this->Finish(std::move(s)); }
  void OnDone() override { delete this; }
};

// Finishes a call at once with `s` (bad request caught in the adapter).
inline grpc::ServerUnaryReactor* Fail(grpc::CallbackServerContext* ctx, const Status& s) {
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpcStatus(s));
  return reactor;
}

}  // namespace csops

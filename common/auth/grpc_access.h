// Access control for gRPC calls: one server interceptor decides every call against the access
// table (AccessControl::Decide, from the "authorization" metadata) before its handler runs, and
// each handler applies that decision first thing:
//
//   auto who = auth::Caller(ctx, *req);           // or Caller(ctx) for client streams
//   if (!who.ok()) return Fail(ctx, who.status());
//
// gRPC 1.51's server interceptors cannot end a call themselves, hence the split; the role table
// test (tests/e2e/auth_test.py) calls every method with no key and with every role to prove
// each handler applies it. Caller() also refuses a key bound to another branch than the
// request's "branch_id" field, if the request has one. A call the interceptor never saw (no
// interceptor installed) is refused: access control fails closed.
#pragma once

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_interceptor.h>

#include <memory>

#include "common/auth/access_control.h"

namespace csops::auth {

class GrpcAccessInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit GrpcAccessInterceptorFactory(std::shared_ptr<const AccessControl> access);
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  std::shared_ptr<const AccessControl> access_;
};

// The decided caller of the call behind `ctx`, or the UNAUTHENTICATED/PERMISSION_DENIED status
// to finish it with.
Result<Identity> Caller(const grpc::ServerContextBase* ctx);
// As above, and checks the request's "branch_id" against the key's branch.
Result<Identity> Caller(const grpc::ServerContextBase* ctx,
                        const google::protobuf::Message& request);

// The actor recorded in history for `who`: the key's name when authenticated (whatever the
// request claims), else `claimed` (access control off: the request's own field).
std::string ActorName(const Identity& who, const std::string& claimed);

}  // namespace csops::auth

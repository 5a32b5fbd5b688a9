#include "common/auth/grpc_access.h"

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace csops::auth {
namespace {

struct Decision {
  Result<Identity> caller;
  std::string method;
  std::shared_ptr<const AccessControl> access;
};

// Decisions of the calls in flight, by their server context.
class DecisionBook {
 public:
  void Put(const grpc::ServerContextBase* ctx, Decision d) {
    std::lock_guard<std::mutex> lock(mu_);
    book_.insert_or_assign(ctx, std::move(d));
  }
  void Erase(const grpc::ServerContextBase* ctx) {
    std::lock_guard<std::mutex> lock(mu_);
    book_.erase(ctx);
  }
  std::optional<Decision> Get(const grpc::ServerContextBase* ctx) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = book_.find(ctx);
    if (it == book_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::mutex mu_;
  std::unordered_map<const grpc::ServerContextBase*, Decision> book_;
};

DecisionBook& Book() {
  static DecisionBook* book = new DecisionBook();  // never destroyed: calls may outlive main
  return *book;
}

class AccessInterceptor final : public grpc::experimental::Interceptor {
 public:
  AccessInterceptor(grpc::experimental::ServerRpcInfo* info,
                    std::shared_ptr<const AccessControl> access)
      : ctx_(info->server_context()), method_(info->method()), access_(std::move(access)) {}
  ~AccessInterceptor() override { Book().Erase(ctx_); }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      std::string authorization;
      if (auto* md = methods->GetRecvInitialMetadata()) {
        auto it = md->find("authorization");
        if (it != md->end()) authorization.assign(it->second.data(), it->second.size());
      }
      Book().Put(ctx_, Decision{access_->Decide(Surface::kGrpc, method_, authorization), method_,
                                access_});
    }
    methods->Proceed();
  }

 private:
  const grpc::ServerContextBase* ctx_;
  std::string method_;
  std::shared_ptr<const AccessControl> access_;
};

}  // namespace

GrpcAccessInterceptorFactory::GrpcAccessInterceptorFactory(
    std::shared_ptr<const AccessControl> access)
    : access_(std::move(access)) {}

grpc::experimental::Interceptor* GrpcAccessInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new AccessInterceptor(info, access_);
}

Result<Identity> Caller(const grpc::ServerContextBase* ctx) {
  auto d = Book().Get(ctx);
  if (!d) return Status::PermissionDenied("no access decision for this call");
  return d->caller;
}

Result<Identity> Caller(const grpc::ServerContextBase* ctx,
                        const google::protobuf::Message& request) {
  auto d = Book().Get(ctx);
  if (!d) return Status::PermissionDenied("no access decision for this call");
  if (!d->caller.ok()) return d->caller;
  const auto* field = request.GetDescriptor()->FindFieldByName("branch_id");
  if (field && field->type() == google::protobuf::FieldDescriptor::TYPE_STRING &&
      !field->is_repeated()) {
    const std::string branch = request.GetReflection()->GetString(request, field);
    CSOPS_RETURN_IF_ERROR(d->access->CheckBranch(Surface::kGrpc, d->method, *d->caller, branch));
  }
  return d->caller;
}

std::string ActorName(const Identity& who, const std::string& claimed) {
  return who.authenticated ? who.name : claimed;
}

}  // namespace csops::auth

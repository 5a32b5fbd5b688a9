#include "common/outbox/notify_send.h"

namespace csops::outbox {

namespace npb = csops::notify::v1;

RowCall<npb::SendRequest> NotifySend(std::shared_ptr<grpc::Channel> channel) {
  std::shared_ptr<npb::NotifyService::Stub> stub = npb::NotifyService::NewStub(channel);
  return [stub](grpc::ClientContext& ctx, const npb::SendRequest& request) {
    npb::SendResponse response;
    CallAnswer a;
    a.status = stub->Send(&ctx, request, &response);
    a.duplicate = a.status.ok() && response.duplicate();
    return a;
  };
}

std::unique_ptr<NoticeRelay> MakeNoticeRelay(std::string name, NoticeSource& source,
                                             const auth::ServiceTarget& target,
                                             prometheus::Registry& registry) {
  return std::make_unique<NoticeRelay>(std::move(name), source, target,
                                       NotifySend(target.auth.Connect(target.address)), registry);
}

}  // namespace csops::outbox

// The outbox relay's call to notify's public Send RPC, for the outboxes whose rows are notices
// (the case and queue services'). An OK reply with duplicate=true (the key had been accepted with
// this very request) counts as a duplicate.
#pragma once

#include <memory>

#include "common/auth/client_auth.h"
#include "common/outbox/outbox_relay.h"
#include "csops/notify/v1/notify_service.grpc.pb.h"

namespace csops::outbox {

using NoticeItem = RelayItem<notify::v1::SendRequest>;
using NoticeSource = OutboxSource<notify::v1::SendRequest>;
using NoticeRelay = OutboxRelay<notify::v1::SendRequest>;

// Send on `channel` (made from the notify service's ServiceTarget).
RowCall<notify::v1::SendRequest> NotifySend(std::shared_ptr<grpc::Channel> channel);

// A relay of `source` to the notify service at `target`.
std::unique_ptr<NoticeRelay> MakeNoticeRelay(std::string name, NoticeSource& source,
                                             const auth::ServiceTarget& target,
                                             prometheus::Registry& registry);

}  // namespace csops::outbox

#include "common/outbox/outbox_relay.h"

#include <grpcpp/grpcpp.h>

#include "common/base/log.h"

namespace csops::notify {

OutboxRelay::OutboxRelay(std::string name, OutboxSource& source, auth::ServiceTarget target,
                         prometheus::Registry& registry)
    : name_(std::move(name)),
      source_(source),
      target_(std::move(target)),
      relayed_(prometheus::BuildCounter()
                   .Name("csops_outbox_relayed_total")
                   .Help("Outbox rows handed to the notify service, by source and result "
                         "(accepted, duplicate, refused)")
                   .Register(registry)) {
  for (const char* result : {"accepted", "duplicate", "refused"})
    relayed_.Add({{"source", name_}, {"result", result}});
}

void OutboxRelay::Start() {
  stub_ = v1::NotifyService::NewStub(target_.auth.Connect(target_.address));
  loop_.Start();
}

void OutboxRelay::Stop() { loop_.Stop(); }

void OutboxRelay::Wake() { loop_.Wake(); }

bool OutboxRelay::RelayPending() {
  for (;;) {
    if (loop_.stopping()) return true;
    auto items = source_.Pending(100);
    if (!items.ok()) {
      CSOPS_LOG(kError, "outbox_read_failed")
          .Kv("source", name_)
          .Kv("error", items.status().ToString());
      return false;
    }
    if (items->empty()) return true;
    for (const RelayItem& item : *items) {
      if (!item.local_refusal.empty()) {
        relayed_.Add({{"source", name_}, {"result", "refused"}}).Increment();
        CSOPS_LOG(kWarning, "outbox_row_refused")
            .Kv("source", name_)
            .Kv("row", item.id)
            .Kv("reason", item.local_refusal);
        if (Status m = source_.MarkRelayed(item.id, item.local_refusal); !m.ok()) return false;
        continue;
      }
      grpc::ClientContext ctx;
      target_.auth.Apply(&ctx);
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      v1::SendResponse resp;
      const grpc::Status s = stub_->Send(&ctx, item.request, &resp);
      std::string refusal;
      if (s.ok()) {
        relayed_.Add({{"source", name_}, {"result", resp.duplicate() ? "duplicate" : "accepted"}})
            .Increment();
      } else if (s.error_code() == grpc::StatusCode::INVALID_ARGUMENT ||
                 s.error_code() == grpc::StatusCode::FAILED_PRECONDITION ||
                 s.error_code() == grpc::StatusCode::NOT_FOUND ||
                 s.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
        refusal = s.error_message().empty() ? "refused" : s.error_message();
        relayed_.Add({{"source", name_}, {"result", "refused"}}).Increment();
        CSOPS_LOG(kWarning, "outbox_row_refused")
            .Kv("source", name_)
            .Kv("row", item.id)
            .Kv("kind", item.request.kind())
            .Kv("reason", refusal);
      } else {
        CSOPS_LOG(kWarning, "outbox_relay_unavailable")
            .Kv("source", name_)
            .Kv("target", target_.address)
            .Kv("error", s.error_message());
        return false;
      }
      if (Status m = source_.MarkRelayed(item.id, refusal); !m.ok()) {
        CSOPS_LOG(kError, "outbox_mark_failed").Kv("source", name_).Kv("error", m.ToString());
        return false;
      }
    }
  }
}

}  // namespace csops::notify

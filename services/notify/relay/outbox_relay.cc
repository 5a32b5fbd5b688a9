#include "services/notify/relay/outbox_relay.h"

#include <grpcpp/grpcpp.h>

#include "common/log.h"

namespace csops::notify {

OutboxRelay::OutboxRelay(std::string name, OutboxSource& source, std::string target,
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
  stub_ =
      v1::NotifyService::NewStub(grpc::CreateChannel(target_, grpc::InsecureChannelCredentials()));
  thread_ = std::thread([this] { Loop(); });
}

void OutboxRelay::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void OutboxRelay::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

bool OutboxRelay::RelayPending() {
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return true;
      woken_ = false;
    }
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
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      v1::SendResponse resp;
      const grpc::Status s = stub_->Send(&ctx, item.request, &resp);
      std::string refusal;
      if (s.ok()) {
        relayed_.Add({{"source", name_}, {"result", resp.duplicate() ? "duplicate" : "accepted"}})
            .Increment();
      } else if (s.error_code() == grpc::StatusCode::INVALID_ARGUMENT ||
                 s.error_code() == grpc::StatusCode::FAILED_PRECONDITION ||
                 s.error_code() == grpc::StatusCode::NOT_FOUND) {
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
            .Kv("target", target_)
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

void OutboxRelay::Loop() {
  auto backoff = std::chrono::seconds(1);
  for (;;) {
    const bool ok = RelayPending();
    std::unique_lock<std::mutex> lock(mu_);
    if (stop_) return;
    if (ok) {
      backoff = std::chrono::seconds(1);
      // Event-driven; the timeout only covers a Wake lost to a crash of the other side.
      cv_.wait_for(lock, std::chrono::seconds(30), [&] { return stop_ || woken_; });
    } else {
      cv_.wait_for(lock, backoff, [&] { return stop_; });
      backoff = std::min(backoff * 2, std::chrono::seconds(30));
    }
    if (stop_) return;
  }
}

}  // namespace csops::notify

// The one relay of an outbox between csops services (DESIGN: "nothing lost between services"):
// the case and queue services' notices to notify's Send, notify's staff tasks to case's
// CreateCase. A service writes a row in the same transaction as its own change; the relay hands
// the rows to the target's public gRPC API and marks each one relayed only after the target
// answered. A crash between the two resends the row with the same idempotency key, which the
// target deduplicates, so every row reaches the target exactly once in effect.
//
// Rows go one at a time in the order Pending gives them (by id). The answer is classified once,
// by ClassifyCall (call_class.h, which also says why ALREADY_EXISTS counts as delivered):
//   accepted, duplicate  marked relayed with no refusal; counted
//   refused              marked relayed with the target's reason (at most 500 bytes, "refused:
//                        <CODE>" when it gave none); logged and counted
//   retry                nothing is marked; the relay waits (1 s doubling to 30 s, WakeLoop) and
//                        starts again from the first pending row, so no row overtakes it
// A row whose source already knows the target cannot take it (RelayItem::local_refusal) is
// refused without a call. A source that cannot be read or marked is retried the same way.
//
// Metrics: csops_outbox_relayed_total{source=<name>, result=accepted|duplicate|refused}.
// Thread safety: Start and Stop from one thread, Wake from any. RelayPending runs on the loop's
// thread; a test that never calls Start may call it directly.
#pragma once

#include <grpcpp/grpcpp.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/auth/client_auth.h"
#include "common/base/status.h"
#include "common/base/wake_loop.h"
#include "common/outbox/call_class.h"

namespace csops::outbox {

template <typename Request>
struct RelayItem {
  std::int64_t id = 0;
  Request request;   // with its idempotency key derived from the row
  std::string kind;  // what the row is, for logs (low cardinality: a notice kind, a case type)
  // Set when the source already knows the target cannot take the row (e.g. no supervisor address
  // configured): it is marked relayed with this reason without a call.
  std::string local_refusal;
};

// The outbox of one service.
template <typename Request>
class OutboxSource {
 public:
  virtual ~OutboxSource() = default;
  // Rows not relayed yet, by id, at most `limit`.
  virtual Result<std::vector<RelayItem<Request>>> Pending(int limit) = 0;
  // Durably marks the row relayed; `refusal` is empty when the target took it.
  virtual Status MarkRelayed(std::int64_t id, const std::string& refusal) = 0;
};

// The target's answer to one row.
struct CallAnswer {
  grpc::Status status;
  bool duplicate = false;  // OK, and the reply says the key had been taken with this request
};

// Makes the call for one row. `ctx` already carries the credentials and a deadline.
template <typename Request>
using RowCall = std::function<CallAnswer(grpc::ClientContext& ctx, const Request& request)>;

// What does not depend on the request type: the counters, the logs and the decision per answer.
class RelayLedger {
 public:
  RelayLedger(std::string name, std::string target, prometheus::Registry& registry);
  // The refusal to record for an answered row ("" when taken), or nullopt: retry later.
  std::optional<std::string> Settle(std::int64_t id, const std::string& kind,
                                    const CallAnswer& answer);
  // Counts and logs a refusal the source made itself; returns the reason to record.
  std::string LocallyRefused(std::int64_t id, const std::string& kind, const std::string& reason);
  void ReadFailed(const Status& s);
  void MarkFailed(std::int64_t id, const Status& s);

 private:
  const std::string name_;
  const std::string target_;
  prometheus::Family<prometheus::Counter>& relayed_;
};

template <typename Request>
class OutboxRelay {
 public:
  // `name` labels metrics and logs ("case", "queue", "notify": whose outbox it is); `target` is
  // where `call` goes (its credentials are applied to every call; its address is logged).
  OutboxRelay(std::string name, OutboxSource<Request>& source, auth::ServiceTarget target,
              RowCall<Request> call, prometheus::Registry& registry)
      : source_(source),
        auth_(std::move(target.auth)),
        call_(std::move(call)),
        ledger_(std::move(name), std::move(target.address), registry) {}
  ~OutboxRelay() { Stop(); }
  void Start() { loop_.Start(); }
  void Stop() { loop_.Stop(); }
  // New rows may be waiting (after a commit that wrote one); cheap, any thread.
  void Wake() { loop_.Wake(); }

  // Relays what is pending; false when the relay must back off and try again.
  bool RelayPending() {
    for (;;) {
      if (loop_.stopping()) return true;
      auto items = source_.Pending(kBatch);
      if (!items.ok()) {
        ledger_.ReadFailed(items.status());
        return false;
      }
      if (items->empty()) return true;
      for (const RelayItem<Request>& item : *items) {
        if (loop_.stopping()) return true;
        std::optional<std::string> refusal;
        if (!item.local_refusal.empty()) {
          refusal = ledger_.LocallyRefused(item.id, item.kind, item.local_refusal);
        } else {
          grpc::ClientContext ctx;
          auth_.Apply(&ctx);
          ctx.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
          refusal = ledger_.Settle(item.id, item.kind, call_(ctx, item.request));
          if (!refusal) return false;
        }
        if (Status m = source_.MarkRelayed(item.id, *refusal); !m.ok()) {
          ledger_.MarkFailed(item.id, m);
          return false;
        }
      }
    }
  }

 private:
  static constexpr int kBatch = 100;
  static constexpr std::chrono::seconds kCallDeadline{10};

  OutboxSource<Request>& source_;
  const auth::ClientAuth auth_;
  const RowCall<Request> call_;
  RelayLedger ledger_;
  WakeLoop loop_{[this] { return RelayPending(); }};
};

}  // namespace csops::outbox

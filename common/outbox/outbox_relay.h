// Delivers another service's outbox rows to the notify service's Send RPC (DESIGN: "nothing
// lost between services"). A row is marked relayed only after Send answered; a crash between
// the two resends the row with the same idempotency key, which Send answers with the same
// notification and nothing new sent. So every row reaches notify exactly once in effect.
//
// Rows go in id order. UNAVAILABLE, DEADLINE_EXCEEDED and other transport or server trouble:
// the relay waits (1 s doubling to 30 s) and tries the same row again. A refusal
// (INVALID_ARGUMENT, FAILED_PRECONDITION, NOT_FOUND: e.g. the applicant has no usable contact;
// ALREADY_EXISTS: the row's key was accepted before with a different request, e.g. a branch
// renamed between a send and its resend after a crash) is final: the row is marked relayed
// with the reason, logged and counted; retrying would never change the answer.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <vector>

#include "common/auth/client_auth.h"
#include "common/base/status.h"
#include "common/base/wake_loop.h"
#include "csops/notify/v1/notify_service.grpc.pb.h"

namespace csops::notify {

struct RelayItem {
  std::int64_t id = 0;
  v1::SendRequest request;  // with its idempotency key derived from the row
  // Set when the source already knows notify cannot take the row (e.g. no supervisor address
  // configured): it is marked relayed with this reason without calling Send.
  std::string local_refusal;
};

// The outbox of one service.
class OutboxSource {
 public:
  virtual ~OutboxSource() = default;
  // Rows not relayed yet, by id, at most `limit`.
  virtual Result<std::vector<RelayItem>> Pending(int limit) = 0;
  // Durably marks the row relayed; `refusal` is empty when notify accepted it.
  virtual Status MarkRelayed(std::int64_t id, const std::string& refusal) = 0;
};

class OutboxRelay {
 public:
  // `name` labels metrics and logs ("case", "queue"); `target` is the notify service.
  OutboxRelay(std::string name, OutboxSource& source, auth::ServiceTarget target,
              prometheus::Registry& registry);
  ~OutboxRelay() { Stop(); }
  void Start();
  void Stop();
  // New rows may be waiting (after a commit that wrote one); cheap, any thread.
  void Wake();

 private:
  // Relays what is pending; returns false when notify could not be reached.
  bool RelayPending();

  const std::string name_;
  OutboxSource& source_;
  const auth::ServiceTarget target_;
  std::unique_ptr<v1::NotifyService::Stub> stub_;
  prometheus::Family<prometheus::Counter>& relayed_;
  WakeLoop loop_{[this] { return RelayPending(); }};
};

}  // namespace csops::notify

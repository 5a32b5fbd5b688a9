// The queue service's near-turn outbox as seen by its relay to notify (common/outbox/): each row
// becomes a queue_turn_near Send on the contact the customer left when taking a remote ticket (SMS,
// e-mail or app push), urgent (a turn does not wait for quiet hours). The idempotency key is
// "queue:<branch>:<ticket id>", one notice per ticket.
#pragma once

#include <map>
#include <memory>

#include "common/base/clock.h"
#include "common/outbox/notify_send.h"
#include "services/queue/domain/branch.h"
#include "services/queue/store/queue_store.h"

namespace csops::queue {

class QueueOutboxSource final : public outbox::NoticeSource {
 public:
  QueueOutboxSource(QueueStore& store, const Clock& clock,
                    const std::vector<std::shared_ptr<const BranchModel>>& branches);
  Result<std::vector<outbox::NoticeItem>> Pending(int limit) override;
  Status MarkRelayed(std::int64_t id, const std::string& refusal) override;

 private:
  QueueStore& store_;
  const Clock& clock_;
  std::map<std::string, std::string> branch_names_;  // id -> name_zh_tw
};

}  // namespace csops::queue

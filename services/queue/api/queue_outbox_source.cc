#include "services/queue/api/queue_outbox_source.h"

#include <future>

namespace csops::queue {

namespace npb = csops::notify::v1;

QueueOutboxSource::QueueOutboxSource(
    QueueStore& store, const Clock& clock,
    const std::vector<std::shared_ptr<const BranchModel>>& branches)
    : store_(store), clock_(clock) {
  for (const auto& b : branches) branch_names_[b->id] = b->name_zh_tw;
}

Result<std::vector<outbox::NoticeItem>> QueueOutboxSource::Pending(int limit) {
  std::vector<outbox::NoticeItem> out;
  Status s = store_.Read([&](QueueReader& r) {
    auto rows = r.PendingNotices(limit);
    if (!rows.ok()) return rows.status();
    for (const NearTurnNotice& n : *rows) {
      outbox::NoticeItem item;
      item.id = n.id;
      item.kind = "queue_turn_near";
      npb::SendRequest& req = item.request;
      req.set_idempotency_key("queue:" + n.branch_id + ":" + std::to_string(n.ticket_id));
      req.set_kind("queue_turn_near");
      req.set_urgent(true);
      auto name = branch_names_.find(n.branch_id);
      (*req.mutable_variables())["branch"] =
          name == branch_names_.end() ? n.branch_id : name->second;
      (*req.mutable_variables())["ticket"] = n.ticket_display;
      (*req.mutable_variables())["ahead"] = std::to_string(n.people_ahead);
      auto* policy = req.mutable_policy();
      policy->set_mode(npb::ChannelPolicy::EXPLICIT);
      switch (n.contact_kind) {
        case ContactKind::kSms:
          req.mutable_recipient()->set_mobile(n.contact_address);
          policy->add_channels(npb::CHANNEL_SMS);
          break;
        case ContactKind::kEmail:
          req.mutable_recipient()->set_email(n.contact_address);
          policy->add_channels(npb::CHANNEL_EMAIL);
          break;
        case ContactKind::kAppPush:
          req.mutable_recipient()->add_push_tokens(n.contact_address);
          policy->add_channels(npb::CHANNEL_APP_PUSH);
          break;
        case ContactKind::kNone:
          item.local_refusal = "notice without a contact";
          break;
      }
      out.push_back(std::move(item));
    }
    return Status();
  });
  if (!s.ok()) return s;
  return out;
}

Status QueueOutboxSource::MarkRelayed(std::int64_t id, const std::string& refusal) {
  std::promise<Status> p;
  store_.Transact(
      [this, id, refusal](QueueTx& tx) { return tx.MarkNoticeRelayed(id, clock_.Now(), refusal); },
      [&p](const Status& s) { p.set_value(s); });
  return p.get_future().get();
}

}  // namespace csops::queue

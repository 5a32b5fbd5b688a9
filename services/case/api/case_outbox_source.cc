#include "services/case/api/case_outbox_source.h"

#include <future>
#include <nlohmann/json.hpp>

namespace csops::cases {

namespace npb = csops::notify::v1;

outbox::NoticeItem CaseOutboxSource::ToItem(const PendingOutboxRow& row) const {
  outbox::NoticeItem item;
  item.id = row.id;
  item.kind = row.kind;
  npb::SendRequest& r = item.request;
  r.set_idempotency_key("case:" + row.acceptance_number + ":" + std::to_string(row.id));
  r.set_locale(row.locale.empty() ? "zh-TW" : row.locale);
  const nlohmann::json payload = nlohmann::json::parse(row.payload, nullptr, false);
  if (payload.is_object())
    for (const auto& [k, v] : payload.items())
      if (v.is_string()) (*r.mutable_variables())[k] = v.get<std::string>();
  if (row.kind == outbox_kind::kAccepted && lookup_link_ &&
      r.variables().count("lookup_url") == 0 && !row.idempotency_key.empty())
    (*r.mutable_variables())["lookup_url"] = lookup_link_(row);
  auto* policy = r.mutable_policy();
  policy->set_mode(npb::ChannelPolicy::EXPLICIT);
  if (row.kind == outbox_kind::kSlaBreach || row.kind == outbox_kind::kSlaChase) {
    r.set_kind("sla_alert");
    r.set_urgent(true);  // supervisors' alerts do not wait for quiet hours
    auto email = supervisor_emails_.find(row.branch_id);
    if (email == supervisor_emails_.end()) {
      item.local_refusal = "no supervisor e-mail configured for branch " + row.branch_id;
      return item;
    }
    r.mutable_recipient()->set_email(email->second);
    policy->add_channels(npb::CHANNEL_EMAIL);
    return item;
  }
  static const std::map<std::string, std::string> kKinds = {
      {outbox_kind::kAccepted, "case_accepted"},
      {outbox_kind::kDelay, "case_delayed"},
      {outbox_kind::kCompleted, "case_completed"}};
  auto kind = kKinds.find(row.kind);
  if (kind == kKinds.end()) {
    item.local_refusal = "unknown outbox kind " + row.kind;
    return item;
  }
  r.set_kind(kind->second);
  auto* to = r.mutable_recipient();
  const std::string customer =
      row.recipient.rfind("customer:", 0) == 0 ? row.recipient.substr(9) : std::string();
  bool digits = !customer.empty();
  for (char c : customer) digits = digits && c >= '0' && c <= '9';
  if (digits) to->set_customer_number(customer);
  switch (row.channel) {
    case NoticeChannel::kEmail:
      to->set_email(row.recipient);
      policy->add_channels(npb::CHANNEL_EMAIL);
      break;
    case NoticeChannel::kSms:
      to->set_mobile(row.recipient);
      policy->add_channels(npb::CHANNEL_SMS);
      break;
    case NoticeChannel::kAppPush:
      policy->add_channels(npb::CHANNEL_APP_PUSH);  // notify needs the app's tokens: refused
      break;
    case NoticeChannel::kPost:
      policy->add_channels(npb::CHANNEL_POSTCARD);  // notify needs an address: refused
      break;
    case NoticeChannel::kNone:
      item.local_refusal = "outbox row without a channel";
      break;
  }
  return item;
}

Result<std::vector<outbox::NoticeItem>> CaseOutboxSource::Pending(int limit) {
  std::vector<outbox::NoticeItem> out;
  Status s = store_.Read([&](CaseTx& tx) {
    auto rows = tx.PendingOutbox(limit);
    if (!rows.ok()) return rows.status();
    for (const PendingOutboxRow& row : *rows) out.push_back(ToItem(row));
    return Status();
  });
  if (!s.ok()) return s;
  return out;
}

Status CaseOutboxSource::MarkRelayed(std::int64_t id, const std::string& refusal) {
  std::promise<Status> p;
  store_.Transact(
      [this, id, refusal](CaseTx& tx) {
        return tx.MarkOutboxRelayed(id, clock_.Now(), refusal.substr(0, 500));
      },
      [&p](const Status& s) { p.set_value(s); });
  return p.get_future().get();
}

}  // namespace csops::cases

// Accepting notifications (Prepare, Send, SendMany), reading them (Get, GetByKey, List, Report)
// and a customer's preferences. The dispatcher's side is in notify_engine_delivery.cc, the
// escalation plans in notify_engine_plans.cc.
#include "services/notify/notify_engine.h"

#include <algorithm>
#include <memory>
#include <set>
#include <span>

#include "common/base/contact.h"
#include "common/base/text.h"
#include "services/notify/domain/timing.h"
#include "services/notify/notify_engine_internal.h"
#include "services/notify/send_fingerprint.h"

namespace csops::notify {
namespace {

// Text limits in characters (Unicode code points), as the API documents them.
constexpr TextLimit kRecipientName{false, 200, Lines::kSingle};
constexpr TextLimit kAddressLine{true, 200, Lines::kSingle};
constexpr TextLimit kPushToken{true, 4096, Lines::kSingle};
constexpr TextLimit kVariableName{true, 64, Lines::kSingle};
constexpr TextLimit kVariableValue{false, 2000, Lines::kMulti};

}  // namespace

namespace internal {

bool Reachable(const RecipientRecord& r, Channel c) {
  switch (c) {
    case Channel::kEmail:
      return !r.email.empty();
    case Channel::kSms:
    case Channel::kVoice:
      return !r.mobile.empty();
    case Channel::kAppPush:
      return !r.push_tokens.empty();
    case Channel::kPostcard:
      return !r.postal_address.empty();
  }
  return false;
}

Status CheckVariables(const std::map<std::string, std::string>& vars) {
  if (vars.size() > 64) return Status::InvalidArgument("variables: at most 64");
  for (const auto& [k, v] : vars) {
    CSOPS_RETURN_IF_ERROR(CheckText("variables (the name " + Quote(k) + ")", k, kVariableName));
    CSOPS_RETURN_IF_ERROR(CheckText("variables." + k, v, kVariableValue));
  }
  return Status();
}

Status CheckRecipient(RecipientRecord& r) {
  for (char c : r.customer_number)
    if (c < '0' || c > '9')
      return Status::InvalidArgument("recipient.customer_number: digits only");
  if (r.customer_number.size() > 20)
    return Status::InvalidArgument("recipient.customer_number: at most 20 digits");
  CSOPS_RETURN_IF_ERROR(CheckText("recipient.name", r.name, kRecipientName));
  if (!r.mobile.empty()) {
    auto m = contact::NormalizeMobile(r.mobile, "recipient.mobile");
    if (!m.ok()) return m.status();
    r.mobile = *m;
  }
  if (!r.email.empty()) CSOPS_RETURN_IF_ERROR(contact::ValidateEmail(r.email, "recipient.email"));
  if (r.push_tokens.size() > 20)
    return Status::InvalidArgument("recipient.push_tokens: at most 20");
  for (const std::string& t : r.push_tokens)
    CSOPS_RETURN_IF_ERROR(CheckText("recipient.push_tokens", t, kPushToken));
  if (r.postal_address.size() > 6)
    return Status::InvalidArgument("recipient.postal_address: at most 6 lines");
  for (const std::string& l : r.postal_address)
    CSOPS_RETURN_IF_ERROR(CheckText("recipient.postal_address", l, kAddressLine));
  return Status();
}

}  // namespace internal

namespace {

using internal::CheckRecipient;
using internal::CheckVariables;
using internal::Reachable;

constexpr Channel kDefaultChain[] = {Channel::kEmail, Channel::kAppPush, Channel::kSms,
                                     Channel::kVoice, Channel::kPostcard};

const char* ContactField(Channel c) {
  switch (c) {
    case Channel::kEmail:
      return "recipient.email";
    case Channel::kSms:
    case Channel::kVoice:
      return "recipient.mobile";
    case Channel::kAppPush:
      return "recipient.push_tokens";
    case Channel::kPostcard:
      return "recipient.postal_address";
  }
  return "recipient";
}

Status CheckKey(const std::string& key) { return CheckIdempotencyKey("idempotency_key", key); }

std::string OverallStatus(const std::vector<DeliveryRecord>& ds) {
  auto any = [&](DeliveryStatus s) {
    return std::any_of(ds.begin(), ds.end(),
                       [&](const DeliveryRecord& d) { return d.status == s; });
  };
  if (any(DeliveryStatus::kPending) || any(DeliveryStatus::kWaiting)) return "pending";
  if (any(DeliveryStatus::kDelivered)) return "delivered";
  if (any(DeliveryStatus::kSent)) return "sent";
  if (any(DeliveryStatus::kFailed)) return "failed";
  return "cancelled";
}

}  // namespace

NotifyEngine::NotifyEngine(const Clock& clock, NotifyConfig config, NotifyStore& store,
                           NotifyObserver* observer)
    : clock_(clock), config_(std::move(config)), store_(store), observer_(observer) {}

Result<PreparedSend> NotifyEngine::Prepare(SendCommand cmd) const {
  CSOPS_RETURN_IF_ERROR(CheckKey(cmd.idempotency_key));
  if (cmd.kind.empty()) return Status::InvalidArgument("kind: must not be empty");
  auto kind = config_.kinds.find(cmd.kind);
  if (kind == config_.kinds.end())
    return Status::InvalidArgument("kind: " + Quote(cmd.kind) + " is not configured");
  if (cmd.locale.empty()) cmd.locale = "zh-TW";
  auto tmpl = kind->second.templates.find(cmd.locale);
  if (tmpl == kind->second.templates.end())
    return Status::InvalidArgument("locale: must be zh-TW or en");
  CSOPS_RETURN_IF_ERROR(CheckVariables(cmd.variables));
  if (auto rendered = Render(tmpl->second, cmd.variables); !rendered.ok()) return rendered.status();
  CSOPS_RETURN_IF_ERROR(CheckRecipient(cmd.recipient));
  if (cmd.send_after && *cmd.send_after - clock_.Now() > std::chrono::hours(24 * 366))
    return Status::InvalidArgument("send_after: more than a year ahead");

  PreparedSend p;
  p.critical = kind->second.critical;
  auto usable = [&](Channel c) -> Status {
    if (!Reachable(cmd.recipient, c))
      return Status::InvalidArgument(std::string(ContactField(c)) + ": required for " +
                                     std::string(ChannelName(c)));
    if (config_.ProvidersFor(c).empty())
      return Status::FailedPrecondition("policy.channels: no provider is configured for " +
                                        std::string(ChannelName(c)));
    return Status();
  };
  std::set<Channel> seen;
  for (Channel c : cmd.channels)
    if (!seen.insert(c).second)
      return Status::InvalidArgument("policy.channels: " + std::string(ChannelName(c)) +
                                     " is listed twice");
  switch (cmd.mode) {
    case PolicyMode::kExplicit:
      if (cmd.channels.empty())
        return Status::InvalidArgument("policy.channels: required for EXPLICIT");
      for (Channel c : cmd.channels) {
        CSOPS_RETURN_IF_ERROR(usable(c));
        p.channels.push_back(c);
      }
      break;
    case PolicyMode::kAll:
      for (Channel c : kAllChannels)
        if (usable(c).ok()) p.channels.push_back(c);
      break;
    case PolicyMode::kFallback: {
      // A view, not a copy: GCC 12 reports a false -Wfree-nonheap-object for the copy here.
      std::span<const Channel> order(cmd.channels);
      if (order.empty()) order = kDefaultChain;
      for (Channel c : order)
        if (usable(c).ok()) p.channels.push_back(c);
      break;
    }
  }
  if (p.channels.empty())
    return Status::InvalidArgument(
        "recipient: no usable channel for the policy (no contact for it, or no provider)");
  p.cmd = std::move(cmd);
  p.fingerprint = SendFingerprint(p.cmd);
  return p;
}

Instant NotifyEngine::Allowed(Instant t, const NotificationRecord& n,
                              const std::optional<QuietHours>& q) const {
  if (n.urgent) return t;
  return NextAllowed(t, config_.zone, q.value_or(config_.quiet));
}

Result<SendResult> NotifyEngine::AcceptInTx(NotifyTx& tx, const PreparedSend& p,
                                            Instant now) const {
  auto existing = tx.FindByKey(p.cmd.idempotency_key);
  if (!existing.ok()) return existing.status();
  if (*existing) {
    auto first = tx.Notification(**existing);
    if (!first.ok()) return first.status();
    if (*first && !SameSend(**first, p.cmd, p.fingerprint))
      return Status::AlreadyExists(
          "idempotency_key: '" + p.cmd.idempotency_key + "' was already used for notification " +
          std::to_string(**existing) + " with a different request; use a new key for a new notice");
    return SendResult{**existing, true};
  }
  std::vector<Channel> channels = p.channels;
  std::optional<QuietHours> quiet;
  if (!p.cmd.recipient.customer_number.empty()) {
    auto prefs = tx.Preferences(p.cmd.recipient.customer_number);
    if (!prefs.ok()) return prefs.status();
    if (*prefs) {
      quiet = (*prefs)->quiet;
      if (!p.critical)
        std::erase_if(channels, [&](Channel c) {
          return std::find((*prefs)->opted_out.begin(), (*prefs)->opted_out.end(), c) !=
                 (*prefs)->opted_out.end();
        });
    }
  }
  if (channels.empty())
    return Status::FailedPrecondition(
        "recipient: the customer opted out of every channel this notice could use");
  NotificationRecord n;
  n.idempotency_key = p.cmd.idempotency_key;
  n.kind = p.cmd.kind;
  n.locale = p.cmd.locale;
  n.recipient = p.cmd.recipient;
  n.variables = p.cmd.variables;
  n.urgent = p.cmd.urgent;
  n.fallback = p.cmd.mode == PolicyMode::kFallback;
  n.accepted_at = now;
  n.plan_key = p.cmd.plan_key;
  n.request_fingerprint = p.fingerprint;
  auto id = tx.InsertNotification(n);
  if (!id.ok()) return id.status();
  const Instant first = Allowed(std::max(now, p.cmd.send_after.value_or(now)), n, quiet);
  for (std::size_t i = 0; i < channels.size(); ++i) {
    DeliveryRecord d;
    d.notification_id = *id;
    d.position = static_cast<int>(i);
    d.channel = channels[i];
    d.status = n.fallback && i > 0 ? DeliveryStatus::kWaiting : DeliveryStatus::kPending;
    d.next_attempt_at = first;
    auto did = tx.InsertDelivery(d);
    if (!did.ok()) return did.status();
  }
  return SendResult{*id, false};
}

void NotifyEngine::Send(SendCommand cmd, Done<SendResult> done) {
  auto prepared = Prepare(std::move(cmd));
  if (!prepared.ok()) return done(prepared.status());
  SendMany({std::move(*prepared)},
           [done = std::move(done)](Result<std::vector<Result<SendResult>>> r) {
             if (!r.ok()) return done(r.status());
             done(std::move(r->front()));
           });
}

void NotifyEngine::SendMany(std::vector<PreparedSend> items,
                            Done<std::vector<Result<SendResult>>> done) {
  auto out = std::make_shared<std::vector<Result<SendResult>>>();
  auto shared = std::make_shared<std::vector<PreparedSend>>(std::move(items));
  store_.Transact(
      [this, out, shared](NotifyTx& tx) -> Status {
        out->clear();
        const Instant now = clock_.Now();
        for (const PreparedSend& p : *shared) {
          auto r = AcceptInTx(tx, p, now);
          // A store error fails the whole transaction; a refusal is this item's answer.
          if (!r.ok() && r.status().code() != StatusCode::kFailedPrecondition &&
              r.status().code() != StatusCode::kAlreadyExists)
            return r.status();
          out->push_back(std::move(r));
        }
        return Status();
      },
      [this, out, shared, done = std::move(done)](const Status& s) {
        if (!s.ok()) return done(s);
        if (observer_)
          for (std::size_t i = 0; i < out->size(); ++i)
            if ((*out)[i].ok() && !(*out)[i]->duplicate) observer_->Accepted((*shared)[i].cmd.kind);
        if (wake_) wake_();
        done(std::move(*out));
      });
}

Result<NotificationView> NotifyEngine::ViewOf(NotifyTx& tx, std::int64_t id) const {
  auto n = tx.Notification(id);
  if (!n.ok()) return n.status();
  if (!*n) return Status::NotFound("notification " + std::to_string(id) + " does not exist");
  NotificationView v;
  v.record = std::move(**n);
  auto ds = tx.Deliveries(id);
  if (!ds.ok()) return ds.status();
  v.deliveries = std::move(*ds);
  auto as = tx.Attempts(id);
  if (!as.ok()) return as.status();
  v.attempts = std::move(*as);
  v.status = OverallStatus(v.deliveries);
  return v;
}

Result<NotificationView> NotifyEngine::Get(std::int64_t id) {
  std::optional<NotificationView> out;
  Status s = store_.Read([&](NotifyTx& tx) {
    auto v = ViewOf(tx, id);
    if (!v.ok()) return v.status();
    out = std::move(*v);
    return Status();
  });
  if (!s.ok()) return s;
  return std::move(*out);
}

Result<NoticeReport> NotifyEngine::Report(Instant from, Instant to) {
  if (!(from < to)) return Status::InvalidArgument("to: must be after from");
  if (to - from > std::chrono::hours(24 * 400))
    return Status::InvalidArgument("to: a report covers at most 400 days");
  std::vector<NoticeRow> rows;
  Status s = store_.Read([&](NotifyTx& tx) {
    auto got = tx.NoticeRows(from, to);
    if (!got.ok()) return got.status();
    rows = std::move(*got);
    return Status();
  });
  if (!s.ok()) return s;
  return BuildNoticeReport(rows);
}

Result<NotificationView> NotifyEngine::GetByKey(const std::string& key) {
  CSOPS_RETURN_IF_ERROR(CheckKey(key));
  std::optional<NotificationView> out;
  Status s = store_.Read([&](NotifyTx& tx) {
    auto id = tx.FindByKey(key);
    if (!id.ok()) return id.status();
    if (!*id) return Status::NotFound("no notification has idempotency_key " + Quote(key));
    auto v = ViewOf(tx, **id);
    if (!v.ok()) return v.status();
    out = std::move(*v);
    return Status();
  });
  if (!s.ok()) return s;
  return std::move(*out);
}

Result<NotifyEngine::Page> NotifyEngine::List(const std::string& customer, int page_size,
                                              const std::string& token) {
  if (customer.empty()) return Status::InvalidArgument("customer_number: must not be empty");
  for (char c : customer)
    if (c < '0' || c > '9') return Status::InvalidArgument("customer_number: digits only");
  if (page_size < 0 || page_size > 500) return Status::InvalidArgument("page_size: must be 1-500");
  if (page_size == 0) page_size = 50;
  std::int64_t before = 0;
  if (!token.empty()) {
    char* end = nullptr;
    before = token.size() > 1 && token[0] == 'n' ? std::strtoll(token.c_str() + 1, &end, 10) : -1;
    if (before <= 0 || !end || *end != '\0')
      return Status::InvalidArgument("page_token: not a token from a previous page");
  }
  Page page;
  Status s = store_.Read([&](NotifyTx& tx) {
    auto ids = tx.ListByCustomer(customer, before, page_size);
    if (!ids.ok()) return ids.status();
    for (std::int64_t id : *ids) {
      auto v = ViewOf(tx, id);
      if (!v.ok()) return v.status();
      page.items.push_back(std::move(*v));
    }
    if (static_cast<int>(ids->size()) == page_size)
      page.next_page_token = "n" + std::to_string(ids->back());
    return Status();
  });
  if (!s.ok()) return s;
  return page;
}

void NotifyEngine::SetPreferences(PreferencesRecord p, Done<PreferencesRecord> done) {
  if (p.customer_number.empty())
    return done(Status::InvalidArgument("preferences.customer_number: must not be empty"));
  for (char c : p.customer_number)
    if (c < '0' || c > '9')
      return done(Status::InvalidArgument("preferences.customer_number: digits only"));
  store_.Transact([p](NotifyTx& tx) { return tx.SavePreferences(p); },
                  [p, done = std::move(done)](const Status& s) {
                    if (!s.ok()) return done(s);
                    done(p);
                  });
}

Result<PreferencesRecord> NotifyEngine::GetPreferences(const std::string& customer) {
  if (customer.empty()) return Status::InvalidArgument("customer_number: must not be empty");
  for (char c : customer)
    if (c < '0' || c > '9') return Status::InvalidArgument("customer_number: digits only");
  PreferencesRecord out{customer, {}, std::nullopt};
  Status s = store_.Read([&](NotifyTx& tx) {
    auto p = tx.Preferences(customer);
    if (!p.ok()) return p.status();
    if (*p) out = **p;
    return Status();
  });
  if (!s.ok()) return s;
  return out;
}
}  // namespace csops::notify

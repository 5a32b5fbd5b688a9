#include "services/notify/notify_engine.h"

#include <algorithm>
#include <future>
#include <set>
#include <span>

#include "common/base/contact.h"
#include "common/base/text.h"
#include "common/grpc/time_check.h"
#include "services/notify/domain/delivery_policy.h"
#include "services/notify/domain/timing.h"
#include "services/notify/send_fingerprint.h"

namespace csops::notify {
namespace {

// last_error of a fallback link cancelled because an earlier link was sent.
constexpr char kSuperseded[] = "superseded: an earlier channel was sent";

constexpr Channel kDefaultChain[] = {Channel::kEmail, Channel::kAppPush, Channel::kSms,
                                     Channel::kVoice, Channel::kPostcard};

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

// Text limits in characters (Unicode code points), as the API documents them.
constexpr TextLimit kRecipientName{false, 200, Lines::kSingle};
constexpr TextLimit kAddressLine{true, 200, Lines::kSingle};
constexpr TextLimit kPushToken{true, 4096, Lines::kSingle};
constexpr TextLimit kVariableName{true, 64, Lines::kSingle};
constexpr TextLimit kVariableValue{false, 2000, Lines::kMulti};
constexpr TextLimit kStopReason{false, 200, Lines::kMulti};

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

Status NotifyEngine::AfterFailure(NotifyTx& tx, const DeliveryRecord& d, Instant now) const {
  auto n = tx.Notification(d.notification_id);
  if (!n.ok()) return n.status();
  if (!*n || !(*n)->fallback) return Status();
  auto all = tx.Deliveries(d.notification_id);
  if (!all.ok()) return all.status();
  for (DeliveryRecord& next : *all) {
    // A link cancelled because an earlier one was sent comes back if that one bounced.
    const bool superseded =
        next.status == DeliveryStatus::kCancelled && next.last_error == kSuperseded;
    if (next.position <= d.position || (next.status != DeliveryStatus::kWaiting && !superseded))
      continue;
    std::optional<QuietHours> quiet;
    if (!(*n)->recipient.customer_number.empty()) {
      auto prefs = tx.Preferences((*n)->recipient.customer_number);
      if (!prefs.ok()) return prefs.status();
      if (*prefs) quiet = (*prefs)->quiet;
    }
    next.status = DeliveryStatus::kPending;
    next.last_error.clear();
    next.next_attempt_at = Allowed(now, **n, quiet);
    return tx.SaveDelivery(next);
  }
  return Status();
}

Status NotifyEngine::ApplyReceipt(NotifyTx& tx, DeliveryRecord& d, bool delivered,
                                  const std::string& detail, Instant now,
                                  std::vector<std::function<void()>>& notes) const {
  if (d.status != DeliveryStatus::kSent) return Status();  // final already, or not yet sent
  auto n = tx.Notification(d.notification_id);
  if (!n.ok()) return n.status();
  const Duration since = now - ((*n) ? (*n)->accepted_at : now);
  if (delivered) {
    d.status = DeliveryStatus::kDelivered;
    CSOPS_RETURN_IF_ERROR(tx.SaveDelivery(d));
    if (observer_)
      notes.push_back([o = observer_, c = d.channel, since] { o->Delivered(c, since); });
    return Status();
  }
  d.status = DeliveryStatus::kFailed;
  // A provider's words, kept for staff: never a control character, never a cut character.
  d.last_error = "provider receipt: " + TruncateChars(EscapeControls(detail), 200);
  CSOPS_RETURN_IF_ERROR(tx.SaveDelivery(d));
  if (observer_) notes.push_back([o = observer_, c = d.channel] { o->Failed(c, "receipt"); });
  return AfterFailure(tx, d, now);
}

void NotifyEngine::ReportDelivery(std::string provider, std::string message_id, bool delivered,
                                  std::string detail, Done<bool> done) {
  if (provider.empty()) return done(Status::InvalidArgument("provider: must not be empty"));
  if (message_id.empty() || message_id.size() > 200)
    return done(Status::InvalidArgument("provider_message_id: must be 1-200 bytes"));
  if (std::none_of(config_.providers.begin(), config_.providers.end(),
                   [&](const ProviderModel& p) { return p.name == provider; }))
    return done(Status::NotFound("provider: " + Quote(provider) + " is not configured"));
  struct Out {
    bool applied = false;
    std::vector<std::function<void()>> notes;
  };
  auto out = std::make_shared<Out>();
  store_.Transact(
      [this, out, provider, message_id, delivered, detail](NotifyTx& tx) -> Status {
        *out = {};
        const Instant now = clock_.Now();
        auto d = tx.FindByProviderId(provider, message_id);
        if (!d.ok()) return d.status();
        if (!*d) return tx.SaveEarlyReceipt(provider, message_id, {delivered, detail, now});
        out->applied = true;
        return ApplyReceipt(tx, **d, delivered, detail, now, out->notes);
      },
      [this, out, done = std::move(done)](const Status& s) {
        if (!s.ok()) return done(s);
        for (auto& note : out->notes) note();
        if (wake_) wake_();
        done(out->applied);
      });
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

Result<int> NotifyEngine::ReleaseLeases() {
  std::promise<Status> p;
  auto n = std::make_shared<int>(0);
  store_.Transact(
      [this, n](NotifyTx& tx) -> Status {
        auto r = tx.ReleaseLeases(clock_.Now());
        if (!r.ok()) return r.status();
        *n = *r;
        return Status();
      },
      [&p](const Status& s) { p.set_value(s); });
  if (Status s = p.get_future().get(); !s.ok()) return s;
  return *n;
}

Result<std::vector<DeliveryRecord>> NotifyEngine::Claim(int limit, Duration lease) {
  std::promise<Status> p;
  auto out = std::make_shared<std::vector<DeliveryRecord>>();
  store_.Transact(
      [this, out, limit, lease](NotifyTx& tx) -> Status {
        const Instant now = clock_.Now();
        auto r = tx.ClaimDue(now, now + lease, limit);
        if (!r.ok()) return r.status();
        *out = std::move(*r);
        return Status();
      },
      [&p](const Status& s) { p.set_value(s); });
  if (Status s = p.get_future().get(); !s.ok()) return s;
  return std::move(*out);
}

Result<std::optional<Instant>> NotifyEngine::NextDue() {
  std::optional<Instant> out;
  Status s = store_.Read([&](NotifyTx& tx) {
    auto r = tx.NextDue();
    if (!r.ok()) return r.status();
    out = *r;
    return Status();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::pair<OutgoingMessage, Instant>> NotifyEngine::Build(const DeliveryRecord& d) {
  std::optional<std::pair<OutgoingMessage, Instant>> out;
  Status s = store_.Read([&](NotifyTx& tx) {
    auto n = tx.Notification(d.notification_id);
    if (!n.ok()) return n.status();
    if (!*n) return Status::Internal("delivery without its notification");
    OutgoingMessage m;
    m.delivery_id = d.id;
    m.client_id = "csops-" + std::to_string(d.id);
    m.channel = d.channel;
    m.kind = (*n)->kind;
    m.locale = (*n)->locale;
    m.recipient = (*n)->recipient;
    m.variables = (*n)->variables;
    std::vector<std::string> live;
    for (const std::string& t : m.recipient.push_tokens) {
      auto pruned = tx.TokenPruned(t);
      if (!pruned.ok()) return pruned.status();
      if (!*pruned) live.push_back(t);
    }
    m.recipient.push_tokens = std::move(live);
    auto kind = config_.kinds.find(m.kind);
    if (kind == config_.kinds.end())
      return Status::FailedPrecondition("kind '" + m.kind + "' is no longer configured");
    auto rendered = Render(kind->second.templates.at(m.locale), m.variables);
    if (!rendered.ok()) return rendered.status();
    m.message = std::move(*rendered);
    out.emplace(std::move(m), (*n)->accepted_at);
    return Status();
  });
  if (!s.ok()) return s;
  return std::move(*out);
}

void NotifyEngine::Complete(DeliveryRecord claimed, std::string provider, SendOutcome outcome,
                            Duration latency, Done<bool> done) {
  double jitter;
  {
    std::lock_guard<std::mutex> lock(rng_mu_);
    jitter = std::uniform_real_distribution<double>(0, 1)(rng_);
  }
  struct Out {
    std::vector<std::function<void()>> notes;
  };
  auto out = std::make_shared<Out>();
  store_.Transact(
      [this, out, claimed, provider, outcome, latency, jitter](NotifyTx& tx) -> Status {
        out->notes.clear();
        const Instant now = clock_.Now();
        CSOPS_RETURN_IF_ERROR(tx.InsertAttempt(
            {claimed.id, now, claimed.channel, provider, std::string(OutcomeName(outcome.kind)),
             outcome.provider_message_id, latency.count(), outcome.error}));
        for (const std::string& t : outcome.invalid_tokens)
          CSOPS_RETURN_IF_ERROR(tx.PruneToken(t, now));
        auto current = tx.Delivery(claimed.id);
        if (!current.ok()) return current.status();
        if (!*current || (*current)->status != DeliveryStatus::kPending) return Status();
        DeliveryRecord d = **current;
        auto n = tx.Notification(d.notification_id);
        if (!n.ok()) return n.status();
        if (!*n) return Status::Internal("delivery without its notification");
        std::optional<QuietHours> quiet;
        if (!(*n)->recipient.customer_number.empty()) {
          auto prefs = tx.Preferences((*n)->recipient.customer_number);
          if (!prefs.ok()) return prefs.status();
          if (*prefs) quiet = (*prefs)->quiet;
        }
        const NotificationRecord& rec = **n;
        AfterAttempt after =
            ApplyOutcome(d, outcome, provider, now, rec.accepted_at, config_, jitter,
                         [&](Instant t) { return Allowed(t, rec, quiet); });
        CSOPS_RETURN_IF_ERROR(tx.SaveDelivery(d));
        if (observer_) {
          const Duration since = now - rec.accepted_at;
          if (after.sent)
            out->notes.push_back([o = observer_, c = d.channel, since] { o->Sent(c, since); });
          if (after.failed_for_good)
            out->notes.push_back([o = observer_, c = d.channel, k = outcome.kind] {
              o->Failed(c, k == OutcomeKind::kPermanent ? "permanent" : "gave_up");
            });
        }
        if (after.failed_for_good) CSOPS_RETURN_IF_ERROR(AfterFailure(tx, d, now));
        if (after.sent) {
          if (rec.fallback) {
            auto all = tx.Deliveries(d.notification_id);
            if (!all.ok()) return all.status();
            for (DeliveryRecord& rest : *all)
              if (rest.position > d.position && rest.status == DeliveryStatus::kWaiting) {
                rest.status = DeliveryStatus::kCancelled;
                rest.last_error = kSuperseded;
                CSOPS_RETURN_IF_ERROR(tx.SaveDelivery(rest));
              }
          }
          auto early = tx.TakeEarlyReceipt(provider, d.provider_message_id);
          if (!early.ok()) return early.status();
          if (*early && !d.provider_message_id.empty())
            CSOPS_RETURN_IF_ERROR(
                ApplyReceipt(tx, d, (*early)->delivered, (*early)->detail, now, out->notes));
        }
        return Status();
      },
      [this, out, claimed, provider, outcome, latency, done = std::move(done)](const Status& s) {
        if (!s.ok()) return done(s);
        if (observer_) observer_->Attempted(claimed.channel, provider, outcome.kind, latency);
        for (auto& note : out->notes) note();
        if (wake_) wake_();
        done(true);
      });
}

}  // namespace csops::notify

namespace csops::notify {

Result<PreparedSend> NotifyEngine::StepSend(const PlanModel& plan, const PlanStepModel& step,
                                            const PlanRunRecord& run) const {
  SendCommand c;
  c.idempotency_key = "plan:" + plan.name + ":" + run.key + ":" + step.name;
  c.kind = step.kind;
  c.locale = run.locale;
  c.recipient = run.recipient;
  c.variables = run.variables;
  c.mode = PolicyMode::kExplicit;
  for (Channel ch : step.channels)
    if (Reachable(run.recipient, ch)) c.channels.push_back(ch);
  if (c.channels.empty())
    return Status::InvalidArgument("recipient: step '" + step.name +
                                   "' needs a contact for one of its channels");
  c.plan_key = plan.name + "/" + run.key + "/" + step.name;
  return Prepare(std::move(c));
}

Result<std::vector<PlanStepRecord>> NotifyEngine::Schedule(const PlanModel& plan,
                                                           const PlanRunRecord& run) const {
  std::vector<PlanStepRecord> out;
  for (std::size_t i = 0; i < plan.steps.size(); ++i) {
    const PlanStepModel& step = plan.steps[i];
    Instant due = run.started_at + std::chrono::hours(24 * step.delay_days);
    if (!step.after_variable.empty()) {
      auto v = run.variables.find(step.after_variable);
      const std::string field = "variables." + step.after_variable;
      if (v == run.variables.end())
        return Status::InvalidArgument(field + ": a date YYYY-MM-DD is required by step '" +
                                       step.name + "'");
      auto date = CheckDate(field, v->second);
      if (!date.ok())
        return Status::InvalidArgument(date.status().message() + " (required by step '" +
                                       step.name + "')");
      absl::CivilDay day = *date;
      day += step.delay_days;
      // 09:00 local on that day: a notice or a task for office hours.
      due = FromUnixMillis(absl::ToUnixMillis(absl::FromCivil(
          absl::CivilMinute(day.year(), day.month(), day.day(), 9, 0), config_.zone)));
    }
    if (step.kind.empty()) {
      auto branch = run.variables.find("branch_id");
      if (branch == run.variables.end() || branch->second.empty())
        return Status::InvalidArgument("variables.branch_id: required by step '" + step.name +
                                       "' (a staff task in a branch)");
    } else {
      // Variables are checked now; a channel the customer cannot be reached on is skipped
      // when the step runs (outcome "skipped"), so later steps and tasks still happen.
      const auto& kind = config_.kinds.at(step.kind);
      auto tmpl = kind.templates.find(run.locale);
      if (tmpl == kind.templates.end())
        return Status::InvalidArgument("locale: must be zh-TW or en");
      if (auto r = Render(tmpl->second, run.variables); !r.ok()) return r.status();
    }
    out.push_back({plan.name, run.key, static_cast<int>(i), step.name, due, "pending", 0});
  }
  return out;
}

void NotifyEngine::StartPlan(StartPlanCommand cmd, Done<PlanView> done) {
  auto plan = config_.plans.find(cmd.plan);
  if (cmd.plan.empty()) return done(Status::InvalidArgument("plan: must not be empty"));
  if (plan == config_.plans.end())
    return done(Status::InvalidArgument("plan: " + Quote(cmd.plan) + " is not configured"));
  if (Status s = CheckIdempotencyKey("key", cmd.key); !s.ok()) return done(s);
  if (cmd.locale.empty()) cmd.locale = "zh-TW";
  if (cmd.locale != "zh-TW" && cmd.locale != "en")
    return done(Status::InvalidArgument("locale: must be zh-TW or en"));
  if (Status s = CheckRecipient(cmd.recipient); !s.ok()) return done(s);
  if (Status s = CheckVariables(cmd.variables); !s.ok()) return done(s);
  PlanRunRecord run{cmd.plan,   cmd.key,       "running",    cmd.recipient,
                    cmd.locale, cmd.variables, clock_.Now(), ""};
  auto steps = Schedule(plan->second, run);
  if (!steps.ok()) return done(steps.status());
  auto out = std::make_shared<PlanView>();
  store_.Transact(
      [this, out, run, steps = *steps](NotifyTx& tx) mutable -> Status {
        auto existing = tx.PlanRun(run.plan, run.key);
        if (!existing.ok()) return existing.status();
        if (*existing) {
          const PlanRunRecord& first = **existing;
          if (first.recipient != run.recipient || first.locale != run.locale ||
              first.variables != run.variables)
            return Status::AlreadyExists("key: '" + run.key + "' already started plan " + run.plan +
                                         " with a different recipient, locale or variables; "
                                         "use a new key for a new run");
          if ((*existing)->status != "running")
            return Status::FailedPrecondition("plan " + run.plan + " for key " + Quote(run.key) +
                                              " is " + (*existing)->status +
                                              "; a new run needs a new key");
          auto old = tx.PlanSteps(run.plan, run.key);
          if (!old.ok()) return old.status();
          *out = {**existing, *old};
          return Status();
        }
        run.started_at = clock_.Now();
        CSOPS_RETURN_IF_ERROR(tx.SavePlanRun(run));
        for (const PlanStepRecord& s : steps) CSOPS_RETURN_IF_ERROR(tx.SavePlanStep(s));
        *out = {run, steps};
        return Status();
      },
      [this, out, done = std::move(done)](const Status& s) {
        if (!s.ok()) return done(s);
        if (wake_) wake_();
        done(std::move(*out));
      });
}

void NotifyEngine::StopPlan(std::string plan, std::string key, std::string reason,
                            Done<PlanView> done) {
  if (plan.empty() || key.empty())
    return done(Status::InvalidArgument("plan, key: must not be empty"));
  if (Status s = CheckText("reason", reason, kStopReason); !s.ok()) return done(s);
  auto out = std::make_shared<PlanView>();
  auto cancelled = std::make_shared<std::vector<std::string>>();
  store_.Transact(
      [out, cancelled, plan, key, reason](NotifyTx& tx) -> Status {
        cancelled->clear();
        auto run = tx.PlanRun(plan, key);
        if (!run.ok()) return run.status();
        if (!*run) return Status::NotFound("no plan " + Quote(plan) + " for key " + Quote(key));
        auto steps = tx.PlanSteps(plan, key);
        if (!steps.ok()) return steps.status();
        if ((*run)->status == "running") {
          (*run)->status = "stopped";
          (*run)->stop_reason = reason;
          CSOPS_RETURN_IF_ERROR(tx.SavePlanRun(**run));
          for (PlanStepRecord& s : *steps)
            if (s.status == "pending") {
              s.status = "cancelled";
              cancelled->push_back(s.name);
              CSOPS_RETURN_IF_ERROR(tx.SavePlanStep(s));
            }
        }
        *out = {**run, *steps};
        return Status();
      },
      [this, out, cancelled, done = std::move(done)](const Status& s) {
        if (!s.ok()) return done(s);
        if (observer_)
          for (const std::string& step : *cancelled)
            observer_->PlanStep(out->run.plan, step, "cancelled");
        done(std::move(*out));
      });
}

Result<PlanView> NotifyEngine::GetPlan(const std::string& plan, const std::string& key) {
  PlanView out;
  Status s = store_.Read([&](NotifyTx& tx) {
    auto run = tx.PlanRun(plan, key);
    if (!run.ok()) return run.status();
    if (!*run) return Status::NotFound("no plan " + Quote(plan) + " for key " + Quote(key));
    auto steps = tx.PlanSteps(plan, key);
    if (!steps.ok()) return steps.status();
    out = {**run, *steps};
    return Status();
  });
  if (!s.ok()) return s;
  return out;
}

Result<int> NotifyEngine::RunDueSteps(int limit) {
  struct Ran {
    std::string plan, step, outcome;
    bool accepted = false;
    std::string kind;
    bool task = false;
  };
  auto ran = std::make_shared<std::vector<Ran>>();
  std::promise<Status> p;
  store_.Transact(
      [this, ran, limit](NotifyTx& tx) -> Status {
        ran->clear();
        const Instant now = clock_.Now();
        auto due = tx.DueSteps(now, limit);
        if (!due.ok()) return due.status();
        for (PlanStepRecord& s : *due) {
          auto run = tx.PlanRun(s.plan, s.key);
          if (!run.ok()) return run.status();
          auto plan = config_.plans.find(s.plan);
          if (!*run || (*run)->status != "running" || plan == config_.plans.end() ||
              s.index >= static_cast<int>(plan->second.steps.size())) {
            s.status = "cancelled";
            CSOPS_RETURN_IF_ERROR(tx.SavePlanStep(s));
            ran->push_back({s.plan, s.name, "cancelled", false, "", false});
            continue;
          }
          const PlanStepModel& step = plan->second.steps[static_cast<std::size_t>(s.index)];
          Ran r{s.plan, s.name, "sent", false, "", false};
          if (step.kind.empty()) {
            const auto& vars = (*run)->variables;
            CSOPS_RETURN_IF_ERROR(tx.InsertTask(
                {0, "plan:" + s.plan + ":" + s.key + ":" + s.name, step.task_case_type,
                 vars.at("branch_id"), (*run)->recipient.customer_number,
                 (*run)->recipient.name.empty() ? "(customer)" : (*run)->recipient.name,
                 s.plan + " " + s.key + ": " + s.name}));
            r.outcome = "task";
            r.task = true;
          } else {
            auto send = StepSend(plan->second, step, **run);
            Result<SendResult> accepted =
                send.ok() ? AcceptInTx(tx, *send, now) : Result<SendResult>(send.status());
            if (accepted.ok()) {
              s.notification_id = accepted->id;
              r.accepted = !accepted->duplicate;
              r.kind = step.kind;
            } else if (accepted.status().code() == StatusCode::kFailedPrecondition ||
                       accepted.status().code() == StatusCode::kInvalidArgument ||
                       accepted.status().code() == StatusCode::kAlreadyExists) {
              // Opted out of every channel of the step, or a client's Send took its key.
              r.outcome = "skipped";
            } else {
              return accepted.status();
            }
          }
          s.status = "done";
          CSOPS_RETURN_IF_ERROR(tx.SavePlanStep(s));
          auto all = tx.PlanSteps(s.plan, s.key);
          if (!all.ok()) return all.status();
          if (std::none_of(all->begin(), all->end(),
                           [](const PlanStepRecord& x) { return x.status == "pending"; })) {
            (*run)->status = "finished";
            CSOPS_RETURN_IF_ERROR(tx.SavePlanRun(**run));
          }
          ran->push_back(std::move(r));
        }
        return Status();
      },
      [&p](const Status& s) { p.set_value(s); });
  if (Status s = p.get_future().get(); !s.ok()) return s;
  bool tasks = false;
  for (const Ran& r : *ran) {
    if (observer_) {
      observer_->PlanStep(r.plan, r.step, r.outcome);
      if (r.accepted) observer_->Accepted(r.kind);
    }
    tasks = tasks || r.task;
  }
  if (!ran->empty() && wake_) wake_();
  if (tasks && task_hook_) task_hook_();
  return static_cast<int>(ran->size());
}

Result<std::optional<Instant>> NotifyEngine::NextStepDue() {
  std::optional<Instant> out;
  Status s = store_.Read([&](NotifyTx& tx) {
    auto r = tx.NextStepDue();
    if (!r.ok()) return r.status();
    out = *r;
    return Status();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<TaskRecord>> NotifyEngine::PendingTasks(int limit) {
  std::vector<TaskRecord> out;
  Status s = store_.Read([&](NotifyTx& tx) {
    auto r = tx.PendingTasks(limit);
    if (!r.ok()) return r.status();
    out = std::move(*r);
    return Status();
  });
  if (!s.ok()) return s;
  return out;
}

Status NotifyEngine::MarkTaskRelayed(std::int64_t id, const std::string& refusal) {
  std::promise<Status> p;
  store_.Transact(
      [this, id, refusal](NotifyTx& tx) { return tx.MarkTaskRelayed(id, clock_.Now(), refusal); },
      [&p](const Status& s) { p.set_value(s); });
  return p.get_future().get();
}

Result<int> NotifyEngine::PurgeExpired(int limit) {
  std::promise<Status> p;
  auto n = std::make_shared<int>(0);
  store_.Transact(
      [this, n, limit](NotifyTx& tx) -> Status {
        auto r = tx.PurgeBefore(clock_.Now() - std::chrono::hours(24 * config_.key_retention_days),
                                limit);
        if (!r.ok()) return r.status();
        *n = *r;
        return Status();
      },
      [&p](const Status& s) { p.set_value(s); });
  if (Status s = p.get_future().get(); !s.ok()) return s;
  return *n;
}

}  // namespace csops::notify

// The dispatcher's side of the notify engine: claiming due deliveries, building their messages,
// recording each attempt's outcome (retries, the fallback chain), provider receipts (also ones
// that come before their send is recorded), leases and the purge of expired keys.
#include <future>
#include <memory>

#include "common/base/text.h"
#include "services/notify/domain/delivery_policy.h"
#include "services/notify/notify_engine.h"

namespace csops::notify {
namespace {

// last_error of a fallback link cancelled because an earlier link was sent.
constexpr char kSuperseded[] = "superseded: an earlier channel was sent";

}  // namespace

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

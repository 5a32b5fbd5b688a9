#include "services/queue/queue_engine.h"

#include <algorithm>
#include <cstdio>

#include "common/base/contact.h"
#include "common/base/text.h"
#include "services/queue/domain/transitions.h"
#include "services/queue/queue_engine_ctx.h"

namespace csops::queue {

// Everything one transaction needs: the branch, "now", today's business day, and helpers that
// keep the history rows and the change list in step with every state change.
namespace {

// FNV-1a over the request fields an idempotency key must keep constant.
std::string Fingerprint(const IssueCommand& c) {
  std::uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](std::string_view s) {
    for (unsigned char ch : s) {
      h ^= ch;
      h *= 1099511628211ULL;
    }
    h ^= 0xff;
    h *= 1099511628211ULL;
  };
  mix(c.service_code);
  mix(PriorityName(c.priority));
  mix(ChannelName(c.channel));
  mix(ContactKindName(c.contact_kind));
  mix(c.contact_address);
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

// The rules notify sends by (common/base/contact.h), so a contact taken here is one notify takes;
// an SMS number comes back in notify's national form.
Status ValidateContact(ContactKind kind, std::string& address) {
  if (kind == ContactKind::kNone) {
    if (!address.empty())
      return Status::InvalidArgument("contact.kind: required when contact.address is given");
    return Status();
  }
  if (address.size() < 3 || address.size() > 256)
    return Status::InvalidArgument("contact.address: must be 3-256 characters");
  switch (kind) {
    case ContactKind::kSms: {
      auto mobile = contact::NormalizeMobile(address, "contact.address");
      if (!mobile.ok()) return mobile.status();
      address = *mobile;
      return Status();
    }
    case ContactKind::kEmail:
      return contact::ValidateEmail(address, "contact.address");
    case ContactKind::kAppPush:
    case ContactKind::kNone:
      break;
  }
  return Status();
}

}  // namespace

QueueEngine::QueueEngine(const Clock& clock,
                         std::vector<std::shared_ptr<const BranchModel>> branches,
                         QueueStore& store, QueueListener& listener)
    : clock_(clock), store_(store), listener_(listener) {
  for (auto& b : branches) branches_[b->id] = std::move(b);
}

const BranchModel* QueueEngine::FindBranch(const std::string& id) const {
  auto it = branches_.find(id);
  return it == branches_.end() ? nullptr : it->second.get();
}

std::vector<std::shared_ptr<const BranchModel>> QueueEngine::branches() const {
  std::vector<std::shared_ptr<const BranchModel>> out;
  for (const auto& [id, b] : branches_) out.push_back(b);
  return out;
}

Result<const BranchModel*> QueueEngine::Branch(const std::string& id) const {
  if (id.empty()) return Status::InvalidArgument("branch_id: must not be empty");
  const BranchModel* b = FindBranch(id);
  if (!b) return Status::NotFound("branch_id: branch " + Quote(id) + " is not configured");
  return b;
}

void QueueEngine::Issue(IssueCommand cmd, Done<TicketView> done) {
  auto branch = Branch(cmd.branch_id);
  if (!branch.ok()) return done(branch.status());
  const BranchModel& b = **branch;
  if (cmd.service_code.empty())
    return done(Status::InvalidArgument("service_code: must not be empty"));
  const ServiceModel* service = b.FindService(cmd.service_code);
  if (!service)
    return done(Status::NotFound("service_code: service " + Quote(cmd.service_code) +
                                 " is not offered by branch " + b.id));
  if (Status s = CheckIdempotencyKey("idempotency_key", cmd.idempotency_key); !s.ok())
    return done(s);
  // The fingerprint is of the request as sent (a retry sends the same text).
  const std::string fingerprint = Fingerprint(cmd);
  if (Status s = ValidateContact(cmd.contact_kind, cmd.contact_address); !s.ok()) return done(s);

  Run<TicketView>(
      b.id,
      [this, &b, service, cmd = std::move(cmd), fingerprint](
          QueueTx& tx, std::vector<QueueChange>& changes) -> Result<TicketView> {
        const Instant now = clock_.Now();
        Ctx ctx{tx, &tx, open_counters_, b, now, FormatDay(b.BusinessDay(now)), changes};
        auto existing = tx.FindByIdempotencyKey(b.id, cmd.idempotency_key);
        if (!existing.ok()) return existing.status();
        if (*existing) {
          if ((*existing)->request_fingerprint != fingerprint)
            return Status::AlreadyExists("idempotency_key: already used for ticket " +
                                         (*existing)->display + " with a different request");
          Ctx then{tx, &tx, open_counters_, b, now, (*existing)->business_day, changes};
          return then.View(**existing);
        }
        auto sd = tx.TakeNumber(b.id, ctx.day, service->code, service->first_number);
        if (!sd.ok()) return sd.status();
        const int number = sd->last_number;
        if (number > service->last_number) {
          // Failing the transaction undoes TakeNumber: the counter stays at the last number.
          return Status::ResourceExhausted(
              "service " + service->code + " of branch " + b.id + " has issued every number " +
              b.FormatNumber(*service, service->first_number) + "-" +
              b.FormatNumber(*service, service->last_number) + " for " + ctx.day +
              "; numbering restarts on the next business day");
        }
        TicketRecord t;
        t.branch_id = b.id;
        t.business_day = ctx.day;
        t.number = number;
        t.display = b.FormatNumber(*service, number);
        t.service_code = service->code;
        t.state = TicketState::kWaiting;
        t.priority = cmd.priority;
        t.channel = cmd.channel;
        t.issued_at = now;
        t.queued_at = now;
        t.contact_kind = cmd.contact_kind;
        t.contact_address = cmd.contact_address;
        t.idempotency_key = cmd.idempotency_key;
        t.request_fingerprint = fingerprint;
        // A new ticket is last of its class: normal tickets have every other waiting ticket
        // ahead (sd->waiting already counts this one).
        int ahead = sd->waiting - 1;
        if (ClassOf(t) != QueueClass::kNormal) {
          t.id = INT64_MAX;
          auto n = tx.CountAhead(t);
          if (!n.ok()) return n.status();
          ahead = *n;
        }
        auto view = ctx.ViewWithAhead(t, ahead, &*sd);
        if (!view.ok()) return view.status();
        t.estimated_wait_ms = view->estimated_wait.count();
        auto id = tx.InsertTicket(t);
        if (!id.ok()) return id.status();
        t.id = *id;
        view->ticket = t;
        CSOPS_RETURN_IF_ERROR(
            tx.AppendEvent({t.id, now, std::string(ChannelName(t.channel)), std::nullopt,
                            TicketState::kWaiting, "", t.service_code, ""}));
        QueueChange c{ChangeKind::kIssued, b.id, now};
        c.ticket = t.display;
        c.service_code = t.service_code;
        c.channel = t.channel;
        c.priority = t.priority;
        c.waiting = sd->waiting;
        changes.push_back(std::move(c));
        if (t.contact_kind != ContactKind::kNone) {
          CSOPS_RETURN_IF_ERROR(ctx.CheckNearTurn(t.service_code));
          auto reread = tx.FindTicketById(t.id);
          if (reread.ok() && *reread) view->ticket.near_notified = (*reread)->near_notified;
        }
        return std::move(*view);
      },
      std::move(done));
}

void QueueEngine::CallNext(std::string branch_id, std::string counter_id, Done<CallResult> done) {
  auto branch = Branch(branch_id);
  if (!branch.ok()) return done(branch.status());
  const BranchModel& b = **branch;
  if (counter_id.empty()) return done(Status::InvalidArgument("counter_id: must not be empty"));
  const CounterModel* counter = b.FindCounter(counter_id);
  if (!counter)
    return done(Status::NotFound("counter_id: counter " + Quote(counter_id) + " of branch " + b.id +
                                 " is not configured"));

  Run<CallResult>(
      b.id,
      [this, &b, counter](QueueTx& tx, std::vector<QueueChange>& changes) -> Result<CallResult> {
        const Instant now = clock_.Now();
        Ctx ctx{tx, &tx, open_counters_, b, now, FormatDay(b.BusinessDay(now)), changes};
        auto rec = ctx.LoadCounter(*counter);
        if (!rec.ok()) return rec.status();
        if (rec->state != CounterState::kOpen)
          return Status::FailedPrecondition("counter " + counter->id + " is '" +
                                            std::string(CounterStateName(rec->state)) +
                                            "'; open it before calling");
        auto held = tx.HeldByCounter(b.id, ctx.day, counter->id);
        if (!held.ok()) return held.status();
        if (*held)
          return Status::FailedPrecondition("counter " + counter->id + " still holds ticket " +
                                            (*held)->display + " ('" +
                                            std::string(StateName((*held)->state)) +
                                            "'); complete, transfer or mark it no-show first");
        auto heads = tx.WaitingHeads(b.id, ctx.day, rec->services, counter->id);
        if (!heads.ok()) return heads.status();
        auto sel =
            SelectNext(*heads, rec->services, b.policy, b.priority_ratio, rec->priority_streak);
        if (!sel) return CallResult{false, {}};
        auto found = tx.FindTicketById(sel->chosen.ticket_id);
        if (!found.ok()) return found.status();
        if (!*found) return Status::Internal("selected ticket vanished");
        const TicketRecord before = **found;
        TicketRecord t = before;
        t.state = TicketState::kCalled;
        t.counter_id = counter->id;
        t.calls = 1;
        t.called_at = now;
        const bool first_call = !t.first_called_at.has_value();
        if (first_call) t.first_called_at = now;
        CSOPS_RETURN_IF_ERROR(ctx.Move(before, t, ChangeKind::kCalled, "counter:" + counter->id));
        QueueChange& c = changes.back();
        if (first_call) {
          const Duration wait = now - t.issued_at;
          c.wait = wait;
          c.estimate_error = wait - Duration(t.estimated_wait_ms);
          const ServiceModel* s = b.FindService(before.service_code);
          c.over_target = s && wait > s->target_wait;
        }
        rec->priority_streak = sel->new_priority_streak;
        rec->changed_at = now;
        CSOPS_RETURN_IF_ERROR(tx.SaveCounter(*rec));
        CSOPS_RETURN_IF_ERROR(tx.SetLastCalled(b.id, ctx.day, t.service_code, t.display));
        CSOPS_RETURN_IF_ERROR(ctx.CheckNearTurn(t.service_code));
        return CallResult{true, TicketView{t, 0, Duration(0), false}};
      },
      std::move(done));
}

void QueueEngine::TicketAction(TicketCommand cmd, Action action, TicketApply apply,
                               Done<TicketView> done) {
  auto branch = Branch(cmd.branch_id);
  if (!branch.ok()) return done(branch.status());
  const BranchModel& b = **branch;
  if (cmd.ticket_number.empty())
    return done(Status::InvalidArgument("ticket_number: must not be empty"));
  // Cancel and requeue may come from the customer; every other action from a counter.
  const bool self_service = action == Action::kCancel || action == Action::kRequeue;
  if (cmd.counter_id.empty() && !self_service)
    return done(Status::InvalidArgument("counter_id: must not be empty"));
  if (!cmd.counter_id.empty() && !b.FindCounter(cmd.counter_id))
    return done(Status::NotFound("counter_id: counter " + Quote(cmd.counter_id) + " of branch " +
                                 b.id + " is not configured"));
  Run<TicketView>(
      b.id,
      [this, &b, action, cmd = std::move(cmd), apply = std::move(apply)](
          QueueTx& tx, std::vector<QueueChange>& changes) -> Result<TicketView> {
        const Instant now = clock_.Now();
        Ctx ctx{tx, &tx, open_counters_, b, now, FormatDay(b.BusinessDay(now)), changes};
        auto t = ctx.LoadTicket(cmd.ticket_number);
        if (!t.ok()) return t.status();
        CSOPS_RETURN_IF_ERROR(CheckAction(action, *t, cmd.counter_id));
        const TicketRecord before = *t;
        const std::string actor =
            cmd.counter_id.empty() ? std::string("customer") : "counter:" + cmd.counter_id;
        CSOPS_RETURN_IF_ERROR(apply(ctx, before, *t, actor));
        return ctx.View(*t);
      },
      std::move(done));
}

void QueueEngine::Recall(TicketCommand cmd, Done<TicketView> done) {
  TicketAction(
      std::move(cmd), Action::kRecall,
      [](Ctx& ctx, const TicketRecord& before, TicketRecord& t, const std::string& actor) {
        if (t.calls >= ctx.branch.max_calls) {
          t.state = TicketState::kNoShow;
          t.finished_at = ctx.now;
          return ctx.Move(before, t, ChangeKind::kNoShow, actor,
                          "no answer after " + std::to_string(t.calls) + " calls");
        }
        t.calls += 1;
        t.called_at = ctx.now;
        return ctx.Move(before, t, ChangeKind::kRecalled, actor);
      },
      std::move(done));
}

void QueueEngine::StartServing(TicketCommand cmd, Done<TicketView> done) {
  TicketAction(
      std::move(cmd), Action::kStartServing,
      [](Ctx& ctx, const TicketRecord& before, TicketRecord& t, const std::string& actor) {
        t.state = TicketState::kServing;
        t.serving_at = ctx.now;
        return ctx.Move(before, t, ChangeKind::kServing, actor);
      },
      std::move(done));
}

void QueueEngine::Complete(TicketCommand cmd, Outcome outcome, int rating, Done<TicketView> done) {
  if (outcome == Outcome::kNone) return done(Status::InvalidArgument("outcome: must be set"));
  if (rating < 0 || rating > 5)
    return done(Status::InvalidArgument("rating: must be 1-5, or 0 when not rated"));
  TicketAction(
      std::move(cmd), Action::kComplete,
      [outcome, rating](Ctx& ctx, const TicketRecord& before, TicketRecord& t,
                        const std::string& actor) {
        t.state = TicketState::kDone;
        t.finished_at = ctx.now;
        t.outcome = outcome;
        t.rating = rating;
        const Duration took = ctx.now - t.serving_at.value_or(ctx.now);
        CSOPS_RETURN_IF_ERROR(
            ctx.w->RecordServiceTime(ctx.branch.id, ctx.day, t.service_code, took));
        CSOPS_RETURN_IF_ERROR(ctx.Move(before, t, ChangeKind::kCompleted, actor));
        ctx.changes.back().service_time = took;
        ctx.changes.back().rating = rating;
        ctx.changes.back().outcome = outcome;
        return Status();
      },
      std::move(done));
}

void QueueEngine::MarkNoShow(TicketCommand cmd, Done<TicketView> done) {
  TicketAction(
      std::move(cmd), Action::kNoShow,
      [](Ctx& ctx, const TicketRecord& before, TicketRecord& t, const std::string& actor) {
        t.state = TicketState::kNoShow;
        t.finished_at = ctx.now;
        return ctx.Move(before, t, ChangeKind::kNoShow, actor, "marked by counter");
      },
      std::move(done));
}

void QueueEngine::Cancel(TicketCommand cmd, Done<TicketView> done) {
  TicketAction(
      std::move(cmd), Action::kCancel,
      [](Ctx& ctx, const TicketRecord& before, TicketRecord& t, const std::string& actor) {
        t.state = TicketState::kCancelled;
        t.finished_at = ctx.now;
        CSOPS_RETURN_IF_ERROR(ctx.Move(before, t, ChangeKind::kCancelled, actor));
        if (before.state == TicketState::kWaiting) return ctx.CheckNearTurn(t.service_code);
        return Status();
      },
      std::move(done));
}

void QueueEngine::Requeue(TicketCommand cmd, Done<TicketView> done) {
  TicketAction(
      std::move(cmd), Action::kRequeue,
      [](Ctx& ctx, const TicketRecord& before, TicketRecord& t, const std::string& actor) {
        t.state = TicketState::kWaiting;
        t.queued_at = ctx.now;
        t.counter_id.clear();
        t.calls = 0;
        t.finished_at.reset();
        CSOPS_RETURN_IF_ERROR(
            ctx.Move(before, t, ChangeKind::kRequeued, actor, "late customer returned"));
        return ctx.CheckNearTurn(t.service_code);
      },
      std::move(done));
}

void QueueEngine::Transfer(TransferCommand cmd, Done<TicketView> done) {
  auto branch = Branch(cmd.ticket.branch_id);
  if (!branch.ok()) return done(branch.status());
  const BranchModel& b = **branch;
  if (cmd.to_service_code.empty())
    return done(Status::InvalidArgument("to_service_code: must not be empty"));
  if (!b.FindService(cmd.to_service_code))
    return done(Status::NotFound("to_service_code: service " + Quote(cmd.to_service_code) +
                                 " is not offered by branch " + b.id));
  if (!cmd.to_counter_id.empty()) {
    const CounterModel* target = b.FindCounter(cmd.to_counter_id);
    if (!target)
      return done(Status::NotFound("to_counter_id: counter " + Quote(cmd.to_counter_id) +
                                   " of branch " + b.id + " is not configured"));
    if (std::find(target->services.begin(), target->services.end(), cmd.to_service_code) ==
        target->services.end())
      return done(Status::FailedPrecondition("to_counter_id: counter " + target->id +
                                             " does not serve service " + cmd.to_service_code));
  }
  if (Status s = CheckText("note", cmd.note, {false, 500, Lines::kMulti}); !s.ok()) return done(s);
  TicketAction(
      std::move(cmd.ticket), Action::kTransfer,
      [to = cmd.to_service_code, to_counter = cmd.to_counter_id, note = cmd.note](
          Ctx& ctx, const TicketRecord& before, TicketRecord& t, const std::string& actor) {
        if (before.state == TicketState::kServing && before.serving_at) {
          CSOPS_RETURN_IF_ERROR(ctx.w->RecordServiceTime(
              ctx.branch.id, ctx.day, before.service_code, ctx.now - *before.serving_at));
        }
        t.state = TicketState::kWaiting;
        t.service_code = to;
        t.transferred = true;
        t.transfer_note = note;
        t.reserved_counter_id = to_counter;
        t.queued_at = ctx.now;
        t.counter_id.clear();
        t.calls = 0;
        t.serving_at.reset();
        CSOPS_RETURN_IF_ERROR(ctx.Move(before, t, ChangeKind::kTransferred, actor, note));
        QueueChange& c = ctx.changes.back();
        c.from_service_code = before.service_code;
        c.counter_id = to_counter;
        if (before.state == TicketState::kServing && before.serving_at)
          c.service_time = ctx.now - *before.serving_at;
        auto from_waiting = ctx.Waiting(before.service_code);
        if (!from_waiting.ok()) return from_waiting.status();
        c.from_waiting = *from_waiting;
        CSOPS_RETURN_IF_ERROR(ctx.CheckNearTurn(to));
        if (before.state == TicketState::kWaiting && before.service_code != to)
          return ctx.CheckNearTurn(before.service_code);
        return Status();
      },
      std::move(done));
}

void QueueEngine::ExpireStale(std::string branch_id, Done<int> done) {
  auto branch = Branch(branch_id);
  if (!branch.ok()) return done(branch.status());
  const BranchModel& b = **branch;
  Run<int>(
      b.id,
      [this, &b](QueueTx& tx, std::vector<QueueChange>& changes) -> Result<int> {
        const Instant now = clock_.Now();
        const std::string day = FormatDay(b.BusinessDay(now));
        auto expired = tx.ExpireBefore(b.id, day, now);
        if (!expired.ok()) return expired.status();
        int total = 0;
        for (const auto& [service, count] : *expired) {
          QueueChange c{ChangeKind::kExpired, b.id, now};
          c.service_code = service;
          c.count = count;
          changes.push_back(std::move(c));
          total += count;
        }
        if (total > 0) changes.push_back(QueueChange{ChangeKind::kDayReset, b.id, now});
        return total;
      },
      std::move(done));
}

}  // namespace csops::queue

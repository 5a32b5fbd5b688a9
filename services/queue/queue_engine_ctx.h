// Internal to the queue engine: the per-transaction context shared by queue_engine*.cc.
#pragma once

#include <algorithm>

#include "common/base/text.h"
#include "services/queue/domain/estimate.h"
#include "services/queue/queue_engine.h"

namespace csops::queue {

struct QueueEngine::Ctx {
  QueueReader& r;
  QueueTx* w;  // null in read-only contexts
  OpenCounterCache& open_counters;
  const BranchModel& branch;
  Instant now;
  std::string day;
  std::vector<QueueChange>& changes;

  Result<TicketRecord> LoadTicket(const std::string& number) {
    if (!ParseTicketNumber(number))
      return Status::InvalidArgument("ticket_number: " + Quote(number) +
                                     " is not a ticket number like A023");
    auto t = r.FindTicket(branch.id, day, number);
    if (!t.ok()) return t.status();
    if (!*t) return Status::NotFound("ticket " + number + " of branch " + branch.id + " on " + day);
    return std::move(**t);
  }

  Result<CounterRecord> LoadCounter(const CounterModel& model) {
    auto all = r.Counters(branch.id);
    if (!all.ok()) return all.status();
    for (auto& c : *all)
      if (c.counter_id == model.id) return std::move(c);
    CounterRecord fresh;
    fresh.branch_id = branch.id;
    fresh.counter_id = model.id;
    fresh.state = CounterState::kClosed;
    fresh.services = model.services;
    fresh.changed_at = now;
    return fresh;
  }

  Result<int> OpenCountersFor(const std::string& service) {
    if (auto n = open_counters.CountFor(branch.id, service)) return *n;
    auto all = r.Counters(branch.id);
    if (!all.ok()) return all.status();
    // Only a writer's read is current enough to seed the cache: it is serialised with the
    // counter changes whose commits update it.
    if (w) open_counters.Load(branch.id, *all);
    return CountOpen(*all, service);
  }

  static int CountOpen(const std::vector<CounterRecord>& all, const std::string& service) {
    int n = 0;
    for (const auto& c : all)
      if (c.state == CounterState::kOpen &&
          std::find(c.services.begin(), c.services.end(), service) != c.services.end())
        ++n;
    return n;
  }

  Result<TicketView> View(const TicketRecord& t) {
    TicketView v{t, 0, Duration(0), false};
    if (t.state != TicketState::kWaiting) return v;
    auto ahead = r.CountAhead(t);
    if (!ahead.ok()) return ahead.status();
    return ViewWithAhead(t, *ahead);
  }

  // `known`: the service day if the caller has just read it.
  Result<TicketView> ViewWithAhead(const TicketRecord& t, int ahead,
                                   const ServiceDay* known = nullptr) {
    TicketView v{t, ahead, Duration(0), false};
    const ServiceModel* s = branch.FindService(t.service_code);
    Result<ServiceDay> sd =
        known ? Result<ServiceDay>(*known) : r.GetServiceDay(branch.id, day, t.service_code);
    if (!sd.ok()) return sd.status();
    auto open = OpenCountersFor(t.service_code);
    if (!open.ok()) return open.status();
    std::optional<Duration> avg;
    if (sd->service_samples > 0) avg = Duration(static_cast<std::int64_t>(sd->avg_service_ms));
    WaitEstimate e = EstimateWait(ahead, avg, s ? s->default_service_time : Duration(0), *open);
    v.estimated_wait = e.wait;
    v.no_open_counter = e.no_open_counter;
    return v;
  }

  Result<int> Waiting(const std::string& service) {
    auto sd = r.GetServiceDay(branch.id, day, service);
    if (!sd.ok()) return sd.status();
    return sd->waiting;
  }

  // Saves the new state, appends its history row and describes the change.
  Status Move(const TicketRecord& before, const TicketRecord& after, ChangeKind kind,
              const std::string& actor, const std::string& note = "") {
    CSOPS_RETURN_IF_ERROR(w->SaveTicket(before, after));
    CSOPS_RETURN_IF_ERROR(
        w->AppendEvent({after.id, now, actor, before.state, after.state,
                        after.counter_id.empty() ? before.counter_id : after.counter_id,
                        after.service_code, note}));
    QueueChange c{kind, branch.id, now};
    c.ticket = after.display;
    c.service_code = after.service_code;
    c.counter_id = after.counter_id.empty() ? before.counter_id : after.counter_id;
    c.calls = after.calls;
    c.channel = after.channel;
    c.priority = after.priority;
    auto w = Waiting(after.service_code);
    if (!w.ok()) return w.status();
    c.waiting = *w;
    changes.push_back(std::move(c));
    return Status();
  }

  // Writes a "your turn is near" notice for every ticket with a contact that is now within
  // near_turn_ahead of the front of `service`'s line.
  Status CheckNearTurn(const std::string& service) {
    auto line = r.WaitingInOrder(branch.id, day, service, branch.near_turn_ahead + 1);
    if (!line.ok()) return line.status();
    for (std::size_t i = 0; i < line->size(); ++i) {
      TicketRecord& t = (*line)[i];
      if (t.contact_kind == ContactKind::kNone || t.near_notified) continue;
      NearTurnNotice n;
      n.branch_id = branch.id;
      n.ticket_id = t.id;
      n.ticket_display = t.display;
      n.business_day = t.business_day;
      n.people_ahead = static_cast<int>(i);
      n.contact_kind = t.contact_kind;
      n.contact_address = t.contact_address;
      n.created_at = now;
      CSOPS_RETURN_IF_ERROR(w->InsertNotice(n));
      TicketRecord after = t;
      after.near_notified = true;
      CSOPS_RETURN_IF_ERROR(w->SaveTicket(t, after));
    }
    return Status();
  }
};

template <typename T>
void QueueEngine::Run(const std::string& branch_id,
                      std::function<Result<T>(QueueTx&, std::vector<QueueChange>&)> body,
                      Done<T> done) {
  struct Shared {
    std::optional<Result<T>> result;
    std::vector<QueueChange> changes;
  };
  auto shared = std::make_shared<Shared>();
  store_.TransactForBranch(
      branch_id,
      [shared, body = std::move(body)](QueueTx& tx) {
        shared->changes.clear();  // the store may re-run a transaction
        shared->result.emplace(body(tx, shared->changes));
        return shared->result->ok() ? Status() : shared->result->status();
      },
      [this, shared, done = std::move(done)](const Status& s) {
        if (!s.ok()) {
          done(s);
          return;
        }
        if (!shared->changes.empty()) listener_.OnCommitted(shared->changes);
        done(std::move(*shared->result));
      });
}

inline CounterView ToView(const CounterRecord& r, const CounterModel& m,
                          const std::optional<TicketRecord>& held) {
  CounterView v;
  v.counter_id = m.id;
  v.name = m.name;
  v.state = r.state;
  v.staff_id = r.staff_id;
  v.services = r.services;
  if (held) {
    v.current_ticket = held->display;
    v.current_state = held->state;
  }
  return v;
}

}  // namespace csops::queue

// Counter lifecycle commands of the queue engine: open, pause, close.
#include "common/base/text.h"
#include "services/queue/queue_engine_ctx.h"

namespace csops::queue {

void QueueEngine::CounterAction(std::string branch_id, std::string counter_id,
                                std::function<Status(Ctx&, CounterView&)> apply,
                                Done<CounterView> done) {
  done = [this, branch_id, done = std::move(done)](Result<CounterView> r) {
    if (r.ok()) open_counters_.Update(branch_id, *r);  // committed: estimates see it now
    done(std::move(r));
  };
  auto branch = Branch(branch_id);
  if (!branch.ok()) return done(branch.status());
  const BranchModel& b = **branch;
  if (counter_id.empty()) return done(Status::InvalidArgument("counter_id: must not be empty"));
  const CounterModel* model = b.FindCounter(counter_id);
  if (!model)
    return done(Status::NotFound("counter_id: counter " + Quote(counter_id) + " of branch " + b.id +
                                 " is not configured"));
  Run<CounterView>(
      b.id,
      [this, &b, model, apply = std::move(apply)](
          QueueTx& tx, std::vector<QueueChange>& changes) -> Result<CounterView> {
        const Instant now = clock_.Now();
        Ctx ctx{tx, &tx, open_counters_, b, now, FormatDay(b.BusinessDay(now)), changes};
        auto rec = ctx.LoadCounter(*model);
        if (!rec.ok()) return rec.status();
        auto held = tx.HeldByCounter(b.id, ctx.day, model->id);
        if (!held.ok()) return held.status();
        CounterView v = ToView(*rec, *model, *held);
        CSOPS_RETURN_IF_ERROR(apply(ctx, v));
        rec->state = v.state;
        rec->staff_id = v.staff_id;
        rec->services = v.services;
        rec->changed_at = now;
        CSOPS_RETURN_IF_ERROR(tx.SaveCounter(*rec));
        QueueChange c{ChangeKind::kCounterChanged, b.id, now};
        c.counter_id = model->id;
        c.counter = v;
        changes.push_back(std::move(c));
        return v;
      },
      std::move(done));
}

void QueueEngine::OpenCounter(std::string branch_id, std::string counter_id, std::string staff_id,
                              std::vector<std::string> services, Done<CounterView> done) {
  if (Status s = CheckText("staff_id", staff_id, {true, 64, Lines::kSingle}); !s.ok())
    return done(s);
  const BranchModel* b = FindBranch(branch_id);
  const CounterModel* model = b ? b->FindCounter(counter_id) : nullptr;
  if (model) {
    for (std::size_t i = 0; i < services.size(); ++i) {
      if (!b->FindService(services[i]))
        return done(Status::NotFound("service_codes: service " + Quote(services[i]) +
                                     " is not offered by branch " + b->id));
      if (std::find(model->services.begin(), model->services.end(), services[i]) ==
          model->services.end())
        return done(Status::FailedPrecondition("service_codes: counter " + model->id +
                                               " is not set up for service " + services[i]));
      if (std::find(services.begin(), services.begin() + i, services[i]) != services.begin() + i)
        return done(
            Status::InvalidArgument("service_codes: " + Quote(services[i]) + " is listed twice"));
    }
    if (services.empty()) services = model->services;
  }
  CounterAction(
      std::move(branch_id), std::move(counter_id),
      [staff_id, services](Ctx&, CounterView& v) {
        v.state = CounterState::kOpen;
        v.staff_id = staff_id;
        v.services = services;
        return Status();
      },
      std::move(done));
}

void QueueEngine::PauseCounter(std::string branch_id, std::string counter_id,
                               Done<CounterView> done) {
  CounterAction(
      std::move(branch_id), std::move(counter_id),
      [](Ctx&, CounterView& v) {
        if (v.state != CounterState::kOpen)
          return Status::FailedPrecondition("counter " + v.counter_id + " is '" +
                                            std::string(CounterStateName(v.state)) +
                                            "'; only an 'open' counter can be paused");
        v.state = CounterState::kPaused;
        return Status();
      },
      std::move(done));
}

void QueueEngine::CloseCounter(std::string branch_id, std::string counter_id,
                               Done<CounterView> done) {
  CounterAction(
      std::move(branch_id), std::move(counter_id),
      [](Ctx&, CounterView& v) {
        if (!v.current_ticket.empty())
          return Status::FailedPrecondition(
              "counter " + v.counter_id + " still holds ticket " + v.current_ticket + " ('" +
              std::string(StateName(v.current_state)) + "'); finish or transfer it first");
        v.state = CounterState::kClosed;
        v.staff_id.clear();
        return Status();
      },
      std::move(done));
}

std::optional<int> OpenCounterCache::CountFor(const std::string& branch,
                                              const std::string& service) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto b = open_.find(branch);
  if (b == open_.end() || !Fresh(b->second)) return std::nullopt;
  int n = 0;
  for (const auto& [id, services] : b->second.open)
    if (std::find(services.begin(), services.end(), service) != services.end()) ++n;
  return n;
}

void OpenCounterCache::Load(const std::string& branch, const std::vector<CounterRecord>& counters) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = open_.find(branch);
  // Already loaded and fresh: later updates are newer than this read.
  if (it != open_.end() && Fresh(it->second)) return;
  Entry& e = open_[branch];
  e.open.clear();
  e.loaded = Steady::now();
  for (const auto& c : counters)
    if (c.state == CounterState::kOpen) e.open[c.counter_id] = c.services;
}

void OpenCounterCache::Update(const std::string& branch, const CounterView& counter) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = open_.find(branch);
  if (it == open_.end()) return;  // not loaded: the first estimate will read the store
  if (counter.state == CounterState::kOpen) {
    it->second.open[counter.counter_id] = counter.services;
  } else {
    it->second.open.erase(counter.counter_id);
  }
}

}  // namespace csops::queue

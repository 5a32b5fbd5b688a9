#include "services/notify/dispatcher.h"

#include <boost/asio/post.hpp>
#include <future>

#include "common/base/log.h"

namespace csops::notify {

Status ProviderGate::Enter() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return running_ < max_; });
    ++running_;
  }
  if (!budget_) return Status::Ok();
  auto slot = budget_->Reserve();
  if (!slot.ok()) {
    Leave();
    return slot.status();
  }
  std::this_thread::sleep_until(*slot);
  return Status::Ok();
}

void ProviderGate::Leave() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    --running_;
  }
  cv_.notify_one();
}

Dispatcher::Dispatcher(NotifyEngine& engine,
                       std::map<std::string, std::unique_ptr<ChannelSender>> senders, int workers,
                       Duration lease, const RateBudgetFactory& budgets)
    : engine_(engine),
      waiter_(engine.clock()),
      senders_(std::move(senders)),
      workers_(workers),
      lease_(lease) {
  for (const ProviderModel& p : engine_.config().providers) {
    std::unique_ptr<RateBudget> budget;
    if (p.rate_per_second > 0)
      budget = budgets ? budgets(p) : std::make_unique<LocalRateBudget>(p.rate_per_second);
    gates_[p.name] = std::make_unique<ProviderGate>(std::move(budget), p.max_concurrency);
  }
}

Status Dispatcher::CheckSenders() const {
  for (const ProviderModel& p : engine_.config().providers)
    if (!senders_.count(p.name)) return Status::Internal("no sender for provider " + p.name);
  return Status();
}

Status Dispatcher::Start() {
  CSOPS_RETURN_IF_ERROR(CheckSenders());
  auto released = engine_.ReleaseLeases();
  if (!released.ok()) return released.status();
  if (*released > 0) CSOPS_LOG(kInfo, "notify_leases_released").Kv("deliveries", *released);
  pool_ = std::make_unique<boost::asio::thread_pool>(static_cast<std::size_t>(workers_));
  engine_.SetWakeHook([this] { Wake(); });
  thread_ = std::thread([this] { Loop(); });
  return Status();
}

void Dispatcher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (pool_) pool_->join();
  // Completions are recorded by the store's writer; wait until every one has come back.
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return in_flight_ == 0; });
}

void Dispatcher::Wake() {
  std::lock_guard<std::mutex> lock(mu_);  // notified under the lock, as in Finished()
  woken_ = true;
  cv_.notify_all();
}

int Dispatcher::in_flight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_flight_;
}

void Dispatcher::Finished() {
  // Notified under the lock: Stop() may return as soon as in_flight_ reaches 0 and the
  // Dispatcher (and cv_) be destroyed, which must not happen while this thread still uses cv_.
  std::lock_guard<std::mutex> lock(mu_);
  --in_flight_;
  cv_.notify_all();
}

Result<std::vector<DeliveryRecord>> Dispatcher::Pass(int free, DispatchPass& did) {
  const Instant now = waiter_.clock().Now();
  for (auto& [name, sender] : senders_) sender->Tick(now);
  // Keys past their retention, by one replica at a time. Purging twice is harmless (what is
  // gone is not found again), so the lease only keeps the replicas from doing it all at once.
  if (now - last_purge_ > std::chrono::minutes(10) && (!purge_gate_ || purge_gate_())) {
    last_purge_ = now;
    if (auto purged = engine_.PurgeExpired(10000); !purged.ok()) {
      CSOPS_LOG(kError, "notify_purge_failed").Kv("error", purged.status().ToString());
    } else {
      did.purged = *purged;
      if (*purged > 0) CSOPS_LOG(kInfo, "notify_purged").Kv("notifications", *purged);
    }
  }
  if (auto steps = engine_.RunDueSteps(100); !steps.ok())
    CSOPS_LOG(kError, "notify_plan_steps_failed").Kv("error", steps.status().ToString());
  else
    did.steps = *steps;
  if (free <= 0) return std::vector<DeliveryRecord>();
  auto due = engine_.Claim(free, lease_);
  if (!due.ok()) return due.status();
  did.claimed = static_cast<int>(due->size());
  return due;
}

std::optional<Instant> Dispatcher::NextDue(bool deliveries) {
  std::optional<Instant> out;
  if (deliveries)
    if (auto next = engine_.NextDue(); next.ok() && *next) out = **next;
  if (auto step = engine_.NextStepDue(); step.ok() && *step)
    out = out ? std::min(*out, **step) : **step;
  return out;
}

Result<DispatchPass> Dispatcher::RunOnce() {
  CSOPS_RETURN_IF_ERROR(CheckSenders());
  DispatchPass did;
  auto due = Pass(workers_, did);
  if (!due.ok()) return due.status();
  for (DeliveryRecord& d : *due) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++in_flight_;
    }
    Run(std::move(d));
  }
  {
    // Outcomes are recorded by the store's writer; wait until every one has come back.
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return in_flight_ == 0; });
  }
  did.next_due = NextDue(true);
  return did;
}

void Dispatcher::Loop() {
  for (;;) {
    int free;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
      woken_ = false;
      free = workers_ - in_flight_;
    }
    DispatchPass did;
    auto due = Pass(free, did);
    if (!due.ok()) {
      CSOPS_LOG(kError, "notify_claim_failed").Kv("error", due.status().ToString());
      std::unique_lock<std::mutex> lock(mu_);  // the store is failing: do not spin on it
      cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stop_; });
      continue;
    }
    for (DeliveryRecord& d : *due) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++in_flight_;
      }
      boost::asio::post(*pool_, [this, d = std::move(d)]() mutable { Run(std::move(d)); });
    }
    if (free > 0 && did.claimed == free) continue;  // maybe more due
    const std::optional<Instant> next = NextDue(free > 0);
    std::unique_lock<std::mutex> lock(mu_);
    if (stop_) return;
    if (woken_) continue;
    // At most a minute, for postcard windows. Due instants (send_after, the end of quiet hours,
    // a retry, a plan step) are instants on the engine's clock: the waiter re-reads it at least
    // every slice, so a wall-clock step past one is seen within a slice.
    Instant until = waiter_.clock().Now() + std::chrono::minutes(1);
    if (next) until = std::min(until, *next);
    if (free <= 0) {
      cv_.wait(lock, [&] { return stop_ || woken_ || in_flight_ < workers_; });
    } else {
      waiter_.WaitUntil(lock, cv_, until, [&] { return stop_ || woken_; });
    }
  }
}

bool Dispatcher::WaitForStore(std::chrono::steady_clock::time_point give_up,
                              std::chrono::milliseconds& pause) {
  if (std::chrono::steady_clock::now() + pause >= give_up) return false;
  {
    std::unique_lock l(mu_);
    if (cv_.wait_for(l, pause, [&] { return stop_; })) return false;
  }
  pause = std::min(pause * 2, std::chrono::milliseconds(2000));
  return true;
}

void Dispatcher::Record(DeliveryRecord d, const std::string& provider, const SendOutcome& outcome,
                        Duration latency) {
  // While the store is away the worker keeps trying to record the outcome (for up to half
  // the lease), so a send that happened is not sent again; after that the lease runs out and
  // the delivery is sent again, the at-least-once bound of a crash.
  const auto give_up = std::chrono::steady_clock::now() + lease_ / 2;
  auto pause = std::chrono::milliseconds(100);
  for (;;) {
    std::promise<Result<bool>> recorded;
    engine_.Complete(d, provider, outcome, latency,
                     [&recorded](Result<bool> r) { recorded.set_value(std::move(r)); });
    Result<bool> r = recorded.get_future().get();
    if (r.ok()) break;
    if (!StoreAway(r.status()) || !WaitForStore(give_up, pause)) {
      CSOPS_LOG(kError, "notify_record_failed").Kv("error", r.status().ToString());
      break;
    }
  }
  Finished();
}

void Dispatcher::Run(DeliveryRecord d) {
  const auto providers = engine_.config().ProvidersFor(d.channel);
  if (providers.empty()) {
    Record(std::move(d), "none", SendOutcome::Permanent("no provider for the channel"),
           Duration::zero());
    return;
  }
  // Retries rotate through the channel's providers: failover when one is down.
  const ProviderModel& p = *providers[static_cast<std::size_t>(d.attempts) % providers.size()];
  // The store away is not the message wrong: try again for up to half the lease, then leave
  // the delivery leased; it comes due again when its lease ends.
  const auto give_up = std::chrono::steady_clock::now() + lease_ / 2;
  auto pause = std::chrono::milliseconds(100);
  auto built = engine_.Build(d);
  while (!built.ok() && StoreAway(built.status()) && WaitForStore(give_up, pause))
    built = engine_.Build(d);
  if (!built.ok() && StoreAway(built.status())) {
    CSOPS_LOG(kWarning, "notify_build_deferred")
        .Kv("delivery", d.id)
        .Kv("error", built.status().ToString());
    Finished();
    return;
  }
  if (!built.ok()) {
    Record(std::move(d), p.name, SendOutcome::Permanent(built.status().message()),
           Duration::zero());
    return;
  }
  // No send slot (the shared budget's database is away): wait for it as for the store, then
  // leave the delivery leased, unsent, as above.
  ProviderGate& gate = *gates_.at(p.name);
  Status entered = gate.Enter();
  pause = std::chrono::milliseconds(100);
  while (!entered.ok() && StoreAway(entered) && WaitForStore(give_up, pause))
    entered = gate.Enter();
  if (!entered.ok()) {
    CSOPS_LOG(kWarning, "notify_send_deferred")
        .Kv("delivery", d.id)
        .Kv("provider", p.name)
        .Kv("error", entered.ToString());
    Finished();
    return;
  }
  const auto started = std::chrono::steady_clock::now();
  SendOutcome outcome = senders_.at(p.name)->Send(built->first);
  const auto latency =
      std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - started);
  gate.Leave();
  Record(std::move(d), p.name, outcome, latency);
}

}  // namespace csops::notify

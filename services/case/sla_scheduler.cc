#include "services/case/sla_scheduler.h"

#include "common/base/log.h"

namespace csops::cases {

Status SlaScheduler::Start() {
  auto upgraded = engine_.Recompute(/*all=*/false);
  if (!upgraded.ok()) return upgraded.status();
  auto pending = engine_.PendingEvents();
  if (!pending.ok()) return pending.status();
  for (const auto& [number, at] : *pending) Reschedule(number, at);
  RunDue();  // whatever came due while csopsd was down fires now, marked late
  thread_ = std::thread([this] { Loop(); });
  return Status();
}

Status SlaScheduler::Rearm() {
  // Every open case is recomputed and rescheduled through the engine's hook; closed cases
  // have no timers to forget.
  auto recomputed = engine_.Recompute(/*all=*/true);
  if (!recomputed.ok()) return recomputed.status();
  RunDue();  // instants the new rules put in the past fire now
  return Status();
}

void SlaScheduler::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SlaScheduler::Reschedule(const std::string& number, std::optional<Instant> next) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!next) {
      next_.erase(number);
      return;
    }
    next_[number] = *next;
    heap_.emplace(*next, number);
    woken_ = true;
  }
  cv_.notify_all();
}

std::size_t SlaScheduler::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return next_.size();
}

int SlaScheduler::RunDue() {
  std::vector<std::string> due;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const Instant now = clock_.Now();
    while (!heap_.empty() && heap_.top().first <= now) {
      auto [at, number] = heap_.top();
      heap_.pop();
      auto it = next_.find(number);
      if (it == next_.end() || it->second != at) continue;  // stale
      next_.erase(it);
      due.push_back(number);
    }
  }
  // All at once, so a thousand cases due in the same second share group commits; this thread
  // waits for every commit (each reschedules its case through the engine's hook).
  struct Waiter {
    std::mutex mu;
    std::condition_variable cv;
    std::size_t left;
  };
  auto waiter = std::make_shared<Waiter>();
  waiter->left = due.size();
  for (const std::string& number : due) {
    engine_.FireDue(number, [waiter, number](Result<int> r) {
      if (!r.ok())
        CSOPS_LOG(kError, "sla_fire_failed").Kv("case", number).Kv("error", r.status().ToString());
      std::lock_guard<std::mutex> lock(waiter->mu);
      if (--waiter->left == 0) waiter->cv.notify_all();
    });
  }
  std::unique_lock<std::mutex> lock(waiter->mu);
  waiter->cv.wait(lock, [&] { return waiter->left == 0; });
  return static_cast<int>(due.size());
}

void SlaScheduler::Loop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (stop_) return;
      woken_ = false;
      std::optional<Instant> at;
      if (!heap_.empty()) at = heap_.top().first;
      // Woken by Reschedule (maybe an earlier instant) or by the instant itself, read on the
      // wall clock however it moved meanwhile.
      waiter_.WaitUntil(lock, cv_, at, [this] { return stop_ || woken_; });
      if (stop_) return;
    }
    RunDue();
  }
}

}  // namespace csops::cases

#include "services/case/sla_scheduler.h"

#include <algorithm>

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
  FireAll(due);
  return static_cast<int>(due.size());
}

int SlaScheduler::Sweep() {
  const Instant now = clock_.Now();
  std::vector<std::string> due;
  std::pair<std::string, Instant> after{"", Instant{}};
  for (;;) {
    auto page = engine_.DueEvents(now - sweep_grace_, after, kSweepPage);
    if (!page.ok()) {
      CSOPS_LOG(kWarning, "sla_sweep_failed").Kv("error", page.status().ToString());
      break;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& entry : *page) {
        auto it = failing_.find(entry.first);
        if (it == failing_.end() || it->second.retry_at <= now) due.push_back(entry.first);
      }
    }
    if (page->size() < static_cast<std::size_t>(kSweepPage) ||
        due.size() >= static_cast<std::size_t>(kSweepPage))
      break;
    after = page->back();
  }
  if (due.empty()) return 0;
  CSOPS_LOG(kInfo, "sla_sweep_firing").Kv("cases", static_cast<std::int64_t>(due.size()));
  FireAll(due);
  return static_cast<int>(due.size());
}

void SlaScheduler::FireAll(const std::vector<std::string>& numbers) {
  // All at once, so a thousand cases due in the same second share group commits; this thread
  // waits for every commit (each reschedules its case through the engine's hook).
  struct Waiter {
    std::mutex mu;
    std::condition_variable cv;
    std::size_t left;
  };
  auto waiter = std::make_shared<Waiter>();
  waiter->left = numbers.size();
  for (const std::string& number : numbers) {
    engine_.FireDue(number, [this, waiter, number](Result<int> r) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (r.ok()) {
          failing_.erase(number);
        } else {
          constexpr Duration kFirst = std::chrono::seconds(1), kMost = std::chrono::minutes(5);
          auto [it, first] = failing_.try_emplace(number, Backoff{Instant{}, kFirst});
          if (!first) it->second.wait = std::min<Duration>(it->second.wait * 2, kMost);
          it->second.retry_at = clock_.Now() + it->second.wait;
          CSOPS_LOG(kError, "sla_fire_failed")
              .Kv("case", number)
              .Kv("retry_in_ms",
                  static_cast<std::int64_t>(
                      std::chrono::duration_cast<std::chrono::milliseconds>(it->second.wait)
                          .count()))
              .Kv("error", r.status().ToString());
        }
      }
      std::lock_guard<std::mutex> lock(waiter->mu);
      if (--waiter->left == 0) waiter->cv.notify_all();
    });
  }
  std::unique_lock<std::mutex> lock(waiter->mu);
  waiter->cv.wait(lock, [&] { return waiter->left == 0; });
}

void SlaScheduler::Loop() {
  Instant next_sweep = clock_.Now() + sweep_every_;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (stop_) return;
      woken_ = false;
      Instant at = next_sweep;
      if (!heap_.empty()) at = std::min(at, heap_.top().first);
      // Woken by Reschedule (maybe an earlier instant), by the instant itself or by the next
      // sweep, read on the wall clock however it moved meanwhile.
      waiter_.WaitUntil(lock, cv_, at, [this] { return stop_ || woken_; });
      if (stop_) return;
    }
    RunDue();
    if (clock_.Now() >= next_sweep) {
      Sweep();
      next_sweep = clock_.Now() + sweep_every_;
    }
  }
}

}  // namespace csops::cases

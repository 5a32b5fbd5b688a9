#include "services/notify/domain/rate_budget.h"

#include <algorithm>

namespace csops::notify {

LocalRateBudget::LocalRateBudget(double rate, SteadyNow now)
    : step_(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(1.0 / rate))),
      now_(std::move(now)) {}

Result<SteadyTime> LocalRateBudget::Reserve() {
  const SteadyTime now = now_();
  std::lock_guard<std::mutex> lock(mu_);
  const SteadyTime slot = std::max(now, next_);
  next_ = slot + step_;
  return slot;
}

GrantedSlots::GrantedSlots(std::chrono::steady_clock::duration step, int max_batch)
    : step_(step), max_batch_(max_batch) {}

std::optional<SteadyTime> GrantedSlots::Take(SteadyTime now) {
  while (!runs_.empty()) {
    Run& run = runs_.front();
    if (run.first + RateBudget::kLapse < now) {
      // Drop the slots of this run that lapsed, at once rather than one by one.
      const auto late = (now - run.first - RateBudget::kLapse) / step_ + 1;
      const int n = static_cast<int>(std::min<std::int64_t>(late, run.count));
      lapsed_ += n;
      lapsed_run_ += n;
      run.count -= n;
      run.first += step_ * n;
      if (run.count == 0) {
        runs_.pop_front();
        continue;
      }
    }
    const SteadyTime slot = run.first;
    ++used_;
    if (--run.count == 0)
      runs_.pop_front();
    else
      run.first += step_;
    return slot;
  }
  return std::nullopt;
}

void GrantedSlots::Add(SteadyTime first, int count) {
  runs_.push_back({first, count});
  last_count_ = count;
  used_ = 0;
  lapsed_run_ = 0;
}

int GrantedSlots::Want() const {
  if (last_count_ == 0) return 1;
  if (lapsed_run_ > 0) return std::clamp(used_, 1, max_batch_);
  return std::min(max_batch_, 2 * last_count_);
}

}  // namespace csops::notify

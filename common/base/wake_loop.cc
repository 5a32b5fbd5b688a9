#include "common/base/wake_loop.h"

#include <algorithm>

namespace csops {

void WakeLoop::Start() {
  thread_ = std::thread([this] {
    auto backoff = std::chrono::seconds(1);
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stop_) return;
        woken_ = false;
      }
      const bool ok = work_();
      std::unique_lock<std::mutex> lock(mu_);
      if (stop_) return;
      if (ok) {
        backoff = std::chrono::seconds(1);
        cv_.wait_for(lock, idle_, [&] { return stop_ || woken_; });
      } else {
        cv_.wait_for(lock, backoff, [&] { return stop_; });
        backoff = std::min(backoff * 2, std::chrono::seconds(30));
      }
    }
  });
}

void WakeLoop::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void WakeLoop::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

bool WakeLoop::stopping() {
  std::lock_guard<std::mutex> lock(mu_);
  return stop_;
}

}  // namespace csops

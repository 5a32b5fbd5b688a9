// A background thread that runs `work` when woken: again at once after Wake(), after `idle`
// (a safety net for a lost wake-up) when work returned true, and with back-off (1 s doubling to
// 30 s) while it returns false (its peer is unreachable). Used by the outbox relays.
// Thread safety: Wake and stopping from any thread; Start and Stop from one.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace csops {

class WakeLoop {
 public:
  explicit WakeLoop(std::function<bool()> work,
                    std::chrono::seconds idle = std::chrono::seconds(30))
      : work_(std::move(work)), idle_(idle) {}
  ~WakeLoop() { Stop(); }
  void Start();
  void Stop();
  void Wake();
  // True once Stop() began: long work should return early.
  bool stopping();

 private:
  std::function<bool()> work_;
  const std::chrono::seconds idle_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;   // guarded by mu_
  bool woken_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace csops

#include "services/case/api/lookup_failures.h"

#include <algorithm>
#include <iterator>

namespace csops::cases {

int InMemoryFailureLedger::Count(const std::string& client, Instant now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = failures_.find(client);
  if (it == failures_.end()) return 0;
  auto& f = it->second;
  const Instant cutoff = now - kWindow;
  f.erase(std::remove_if(f.begin(), f.end(), [&](Instant t) { return t < cutoff; }), f.end());
  const int n = static_cast<int>(f.size());
  if (n == 0) failures_.erase(it);  // a client that stopped failing costs no memory
  return n;
}

Result<bool> InMemoryFailureLedger::Allowed(const std::string& client, Instant now) {
  return Count(client, now) < kLimit;
}

Status InMemoryFailureLedger::Record(const std::string& client, Instant now) {
  std::lock_guard<std::mutex> lock(mu_);
  failures_[client].push_back(now);
  // Now and then forget the clients that stopped failing, so the map stays small.
  if (++records_ % kSweepEvery == 0) {
    const Instant cutoff = now - kWindow;
    for (auto it = failures_.begin(); it != failures_.end();)
      it = it->second.back() < cutoff ? failures_.erase(it) : std::next(it);
  }
  return Status::Ok();
}

}  // namespace csops::cases

#include "common/postgres/lease_keeper.h"

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "common/base/log.h"
#include "common/postgres/lease.h"

namespace csops::postgres {

using Steady = std::chrono::steady_clock;

LeaseKeeper::LeaseKeeper(Database& db, std::string name, std::string holder,
                         std::chrono::milliseconds ttl, prometheus::Registry* registry)
    : db_(db), name_(std::move(name)), holder_(std::move(holder)), ttl_(ttl) {
  if (registry) {
    auto& family = prometheus::BuildGauge()
                       .Name("csops_lease_held")
                       .Help("1 while this replica holds the singleton lease, 0 otherwise")
                       .Register(*registry);
    gauge_ = &family.Add({{"lease", name_}});
  }
}

LeaseKeeper::~LeaseKeeper() { Stop(); }

void LeaseKeeper::Start() {
  Renew();
  std::lock_guard l(mu_);
  if (!thread_.joinable() && !stopping_) thread_ = std::thread([this] { Loop(); });
}

void LeaseKeeper::Stop() { Finish(/*release=*/true); }
void LeaseKeeper::Abandon() { Finish(/*release=*/false); }

void LeaseKeeper::Finish(bool release) {
  std::optional<std::int64_t> epoch;
  {
    std::lock_guard l(mu_);
    if (stopping_) return;
    stopping_ = true;
    epoch = epoch_;
    epoch_.reset();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (gauge_) gauge_->Set(0);
  if (release && epoch) {
    Status s = db_.Write([&](Connection& c) { return ReleaseLease(c, name_, holder_, *epoch); });
    if (!s.ok())
      CSOPS_LOG(kWarning, "lease_release_failed").Kv("lease", name_).Kv("error", s.ToString());
  }
}

std::optional<std::int64_t> LeaseKeeper::held() const {
  std::lock_guard l(mu_);
  if (!epoch_ || Steady::now() >= valid_until_) return std::nullopt;
  return epoch_;
}

Status LeaseKeeper::Fence(Connection& c, std::int64_t epoch) const {
  return CheckFence(c, name_, holder_, epoch);
}

void LeaseKeeper::Renew() {
  const Steady::time_point sent = Steady::now();
  std::optional<std::int64_t> got;
  Status s = db_.Write([&](Connection& c) -> Status {
    auto r = AcquireLease(c, name_, holder_, ttl_);
    if (!r.ok()) return r.status();
    got = *r;
    return Status::Ok();
  });
  std::optional<std::int64_t> before;
  {
    std::lock_guard l(mu_);
    if (stopping_) return;
    before = epoch_;
    if (s.ok()) {
      epoch_ = got;
      valid_until_ = sent + ttl_ - ttl_ / 5;
      if (failing_) CSOPS_LOG(kInfo, "lease_renewal_recovered").Kv("lease", name_);
      failing_ = false;
    } else if (!failing_) {
      failing_ = true;
      CSOPS_LOG(kWarning, "lease_renewal_failed").Kv("lease", name_).Kv("error", s.ToString());
    }
  }
  if (!s.ok()) return;  // held() lapses by itself at valid_until_
  if (got && got != before)
    CSOPS_LOG(kInfo, "lease_taken").Kv("lease", name_).Kv("epoch", *got);
  else if (!got && before)
    CSOPS_LOG(kWarning, "lease_lost").Kv("lease", name_).Kv("epoch", *before);
  if (gauge_) gauge_->Set(got ? 1 : 0);
}

void LeaseKeeper::Loop() {
  for (;;) {
    {
      std::unique_lock l(mu_);
      if (cv_.wait_for(l, ttl_ / 3, [this] { return stopping_; })) return;
      // A lease that lapsed locally while the database was away reads 0 at once.
      if (gauge_ && epoch_ && Steady::now() >= valid_until_) gauge_->Set(0);
    }
    Renew();
  }
}

}  // namespace csops::postgres

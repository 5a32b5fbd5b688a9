// case_seed: bulk loader for the case benchmark. Writes open cases straight into a data
// directory's case.db (csopsd must not be running) through the real CaseEngine and
// SqliteCaseStore, so every row (targets, history, outbox, stored next event) is what CreateCase
// would have written. The engine runs on a fake clock that the loader moves:
//
//   case_seed --config=FILE --data-dir=DIR --cases=N [--hours=6] [--branch-prefix=P]
//             [--burst-branch=ID] [--burst=1000] [--burst-in=60] [--burst-type=complaint]
//
// * N cases round-robin over the configured branches whose id starts with P (default: all but
//   the burst branch) and over every case type, accepted at instants spread evenly over the last
//   `hours` hours (so their SLA events lie ahead, as on a live server whose timers have kept up).
// * Then `burst` cases of `burst-type` in the burst branch, all accepted at the same instant,
//   chosen so that the first threshold of their first target (e.g. the complaint's 50 % of
//   72 h on the 24x7 clock) falls `burst-in` seconds after seeding ends. Prints that instant.
//
// Seeding commits with synchronous=NORMAL (a benchmark set-up step, not a served request).
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>

#include "common/base/clock.h"
#include "common/config/config.h"
#include "common/sqlite/database.h"
#include "services/case/case_config.h"
#include "services/case/case_engine.h"
#include "services/case/domain/case_model.h"
#include "services/case/lookup_secret_file.h"
#include "services/case/store/sqlite/sqlite_case_store.h"
#include "tools/flags/flags.h"

namespace {

using csops::Instant;
namespace cases = csops::cases;

struct Options {
  std::string config, data_dir, branch_prefix, burst_branch, burst_type = "complaint";
  long cases = 0;
  double hours = 6;
  int burst = 1000;
  int burst_in = 60;
};

// Bounded number of CreateCase commands in flight; remembers the first failure.
class Inflight {
 public:
  explicit Inflight(int limit) : limit_(limit) {}
  void Acquire() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return n_ < limit_; });
    ++n_;
  }
  void Release(const csops::Status& s) {
    std::lock_guard<std::mutex> lock(mu_);
    --n_;
    if (!s.ok() && error_.empty()) error_ = s.ToString();
    cv_.notify_all();
  }
  std::string Drain() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return n_ == 0; });
    return error_;
  }

 private:
  const int limit_;
  std::mutex mu_;
  std::condition_variable cv_;
  int n_ = 0;
  std::string error_;
};

cases::CreateCaseCommand Command(const std::string& type, const std::string& branch, long i) {
  cases::CreateCaseCommand c;
  c.type_code = type;
  c.branch_id = branch;
  c.applicant.name = "Seed Applicant " + std::to_string(i);
  c.applicant.customer_number = std::to_string(10000000000L + i);
  c.applicant.email = "seed" + std::to_string(i) + "@example.invalid";
  c.applicant.channels = {cases::NoticeChannel::kEmail};
  c.received_via = "counter";
  c.summary = "benchmark case " + std::to_string(i);
  c.staff_id = "SEED";
  c.idempotency_key = "seed-" + std::to_string(getpid()) + "-" + std::to_string(i);
  return c;
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "case_seed: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app(
      "case_seed: bulk loader of open cases for the case benchmark (csopsd must not be running); "
      "see the header of tools/loadgen/case_seed.cc.",
      "case_seed");
  csops::flags::UseCsopsConventions(app);
  app.add_option("--config", o.config, "csopsd's config file")->required();
  app.add_option("--data-dir", o.data_dir, "the data directory (its case.db)")->required();
  app.add_option("--cases", o.cases, "open cases to seed")
      ->check(csops::flags::Whole(0L))
      ->capture_default_str();
  app.add_option("--hours", o.hours, "spread their acceptance over the last this many hours")
      ->check(csops::flags::Positive("hours"))
      ->capture_default_str();
  app.add_option("--branch-prefix", o.branch_prefix,
                 "only branches whose id starts so (default: all but the burst branch)");
  app.add_option("--burst-branch", o.burst_branch, "branch of the burst (none: no burst)");
  app.add_option("--burst", o.burst, "cases in the burst")
      ->check(csops::flags::Whole(0))
      ->capture_default_str();
  app.add_option("--burst-in", o.burst_in,
                 "seconds after seeding at which the burst's first threshold falls")
      ->check(csops::flags::Whole(0))
      ->capture_default_str();
  app.add_option("--burst-type", o.burst_type, "case type of the burst")->capture_default_str();
  if (auto rc = csops::flags::Parse(app, argc, argv)) return *rc;
  auto loaded = csops::LoadConfig(o.config);
  if (!loaded.ok()) return Fail(loaded.status().ToString());
  auto config = cases::BuildCaseConfig(*loaded);
  if (!config.ok()) return Fail(config.status().ToString());
  std::vector<std::string> branches, types;
  for (const auto& [id, b] : config->branches)
    if (id != o.burst_branch && id.rfind(o.branch_prefix, 0) == 0) branches.push_back(id);
  for (const auto& [code, t] : config->types) types.push_back(code);
  if (branches.empty() || types.empty()) return Fail("the config has no branches or case types");
  const cases::CaseTypeModel* burst_type = nullptr;
  if (!o.burst_branch.empty()) {
    if (!config->branches.count(o.burst_branch)) return Fail("no branch " + o.burst_branch);
    auto t = config->types.find(o.burst_type);
    if (t == config->types.end() || t->second.targets.empty() || !t->second.targets[0].always ||
        t->second.targets[0].warn_percents.empty())
      return Fail("--burst-type must name a type whose first target runs on the 24x7 clock");
    burst_type = &t->second;
  }

  csops::sqlite::DatabaseOptions db_options;
  db_options.path = o.data_dir + "/case.db";
  db_options.name = "case";
  db_options.synchronous = csops::sqlite::Synchronous::kNormal;
  // The data directory's own look-up secret, so csopsd can check the seeded cases' codes.
  auto secret = cases::LoadOrCreateLookupSecret(o.data_dir + "/" + cases::kLookupSecretFileName);
  if (!secret.ok()) return Fail(secret.status().ToString());
  db_options.migrations = cases::SqliteCaseStore::Migrations(secret->secret);
  auto db = csops::sqlite::Database::Open(db_options);
  if (!db.ok()) return Fail(db.status().ToString());
  cases::SqliteCaseStore store(**db);
  const Instant real_now = csops::RealClock::Get().Now();
  csops::FakeClock clock(real_now);
  cases::CaseEngine engine(clock, *config, store, "https://csops.example", secret->secret);

  Inflight inflight(4096);
  const auto started = std::chrono::steady_clock::now();
  const auto span = std::chrono::duration_cast<csops::Duration>(
      std::chrono::duration<double, std::ratio<3600>>(o.hours));
  for (long i = 0; i < o.cases; ++i) {
    clock.Set(real_now - span + span * i / std::max(1L, o.cases));
    inflight.Acquire();
    engine.Create(
        Command(types[i % types.size()], branches[i % branches.size()], i),
        [&inflight](csops::Result<cases::CreatedCase> r) { inflight.Release(r.status()); });
    if ((i + 1) % 100000 == 0) std::fprintf(stderr, "case_seed: %ld cases\n", i + 1);
  }
  if (std::string e = inflight.Drain(); !e.empty()) return Fail(e);
  const double seeded_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("seeded %ld open cases over %zu branches in %.1f s (%.0f cases/s)\n", o.cases,
              branches.size(), seeded_s, o.cases / std::max(seeded_s, 1e-9));

  if (burst_type) {
    // Accepted together, `amount * percent / 100` before the burst instant (24x7 clock).
    const cases::TargetModel& t = burst_type->targets[0];
    const auto first = std::chrono::minutes(t.length.amount) * t.warn_percents[0] / 100;
    const Instant burst_at =
        std::chrono::time_point_cast<std::chrono::seconds>(csops::RealClock::Get().Now()) +
        std::chrono::seconds(o.burst_in);
    clock.Set(burst_at - first);
    for (int i = 0; i < o.burst; ++i) {
      inflight.Acquire();
      engine.Create(
          Command(burst_type->code, o.burst_branch, o.cases + i),
          [&inflight](csops::Result<cases::CreatedCase> r) { inflight.Release(r.status()); });
    }
    if (std::string e = inflight.Drain(); !e.empty()) return Fail(e);
    std::printf("burst %d %s cases in %s: %s %s%% at %s (unix %lld)\n", o.burst,
                burst_type->code.c_str(), o.burst_branch.c_str(), t.name.c_str(),
                std::to_string(t.warn_percents[0]).c_str(),
                csops::FormatRfc3339Utc(burst_at).c_str(),
                static_cast<long long>(csops::ToUnixMillis(burst_at) / 1000));
  }
  (*db)->Close();
  return 0;
}

// history_seed: writes months of office history into a data directory (csopsd must not be
// running) through the real QueueEngine, CaseEngine and NotifyEngine on a fake clock, so that
// csops-report has a half-year to report on. Every row is what the live RPCs would write.
//
//   history_seed --config=FILE --data-dir=DIR --from=YYYY-MM-DD --to=YYYY-MM-DD
//                [--visitors=40] [--cases=4] [--notices=20] [--seed=1]
//
// Per working day of each branch (its business calendar):
// * queue: `visitors` tickets one after another from 08:30, each waiting a few minutes
//   (longer in the earlier months, so the trend improves), ~6 % no-shows, ~2 % cancelled,
//   the rest served and rated 3-5;
// * cases: `cases` cases at 08:0x, round-robin over the types; ~80 % closed on time, the rest
//   late, half of the late ones with a delay declared (reason and new date) before the breach;
//   complaints get their first reply within 72 h ~85 % of the time;
// * notices (once per day, not per branch): `notices` notifications over e-mail, SMS, voice,
//   app push and postcard; providers accept ~93 %, refuse ~4 % (the chain moves on), fail
//   transiently ~3 % (retried); most SMS get a delivery receipt.
// Seeding commits with synchronous=NORMAL (a set-up step, not a served request).
#include <cstdio>
#include <functional>
#include <future>
#include <map>
#include <queue>
#include <random>
#include <string>

#include "common/base/business_calendar.h"
#include "common/base/clock.h"
#include "common/config/config.h"
#include "common/sqlite/database.h"
#include "services/case/case_config.h"
#include "services/case/case_engine.h"
#include "services/case/domain/case_model.h"
#include "services/case/lookup_secret_file.h"
#include "services/case/store/sqlite/sqlite_case_store.h"
#include "services/notify/domain/notify_model.h"
#include "services/notify/notify_config.h"
#include "services/notify/notify_engine.h"
#include "services/notify/store/sqlite/sqlite_notify_store.h"
#include "services/queue/queue_config.h"
#include "services/queue/queue_engine.h"
#include "services/queue/store/sqlite/sqlite_queue_store.h"
#include "tools/flags/flags.h"
#include "tools/report/period.h"

namespace {

using csops::Instant;
using csops::Result;
using csops::Status;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
namespace cases = csops::cases;
namespace notify = csops::notify;
namespace queue = csops::queue;

struct Options {
  std::string config, data_dir, from, to;
  int visitors = 40, cases = 4, notices = 20;
  unsigned seed = 1;
};

template <typename T, typename F>
Result<T> Await(F&& start) {
  std::promise<Result<T>> p;
  auto f = p.get_future();
  start([&p](Result<T> r) { p.set_value(std::move(r)); });
  return f.get();
}

class NullListener final : public queue::QueueListener {
 public:
  void OnCommitted(const std::vector<queue::QueueChange>&) override {}
};

std::unique_ptr<csops::sqlite::Database> OpenDb(const std::string& dir, const std::string& name,
                                                std::vector<csops::sqlite::Migration> m) {
  csops::sqlite::DatabaseOptions o;
  o.path = dir + "/" + name + ".db";
  o.name = name;
  o.synchronous = csops::sqlite::Synchronous::kNormal;
  o.migrations = std::move(m);
  auto db = csops::sqlite::Database::Open(o);
  if (!db.ok()) {
    std::fprintf(stderr, "history_seed: %s: %s\n", o.path.c_str(), db.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(*db);
}

void Must(const Status& s, const std::string& what) {
  if (s.ok()) return;
  std::fprintf(stderr, "history_seed: %s: %s\n", what.c_str(), s.ToString().c_str());
  std::exit(1);
}

Instant At(absl::CivilDay day, int hour, int minute, const absl::TimeZone& zone) {
  return csops::FromUnixMillis(absl::ToUnixMillis(
      absl::FromCivil(absl::CivilMinute(day.year(), day.month(), day.day(), hour, minute), zone)));
}

std::string DayText(absl::CivilDay d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", static_cast<int>(d.year()), d.month(), d.day());
  return buf;
}

// Events that happen later than the day that schedules them (case steps), run in time order.
struct Event {
  Instant at;
  long order;
  std::function<void()> run;
  bool operator>(const Event& o) const { return at != o.at ? at > o.at : order > o.order; }
};

class Seeder {
 public:
  Seeder(const Options& o, csops::FakeClock& clock, queue::QueueEngine& q, cases::CaseEngine& c,
         const cases::CaseConfig& case_cfg, notify::NotifyEngine& n,
         const notify::NotifyConfig& notify_cfg)
      : o_(o),
        clock_(clock),
        q_(q),
        c_(c),
        case_cfg_(case_cfg),
        n_(n),
        notify_cfg_(notify_cfg),
        rng_(o.seed) {}

  void Day(absl::CivilDay day, double progress) {
    RunEventsBefore(At(day, 8, 0, Zone()));
    for (const auto& b : q_.branches()) {
      const auto& cal = *case_cfg_.branches.at(b->id).calendar;
      if (!cal.IsWorkingDay(day)) continue;
      Cases(*b, day);
      RunEventsBefore(At(day, 8, 30, b->zone));
      Queue(*b, day, progress);
    }
    if (case_cfg_.branches.begin()->second.calendar->IsWorkingDay(day)) Notices(day);
  }
  void Finish(Instant end) { RunEventsBefore(end); }
  long tickets = 0, created = 0, sent = 0;

 private:
  const absl::TimeZone& Zone() const { return q_.branches().front()->zone; }
  double Uniform() { return std::uniform_real_distribution<double>(0, 1)(rng_); }
  int Between(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  void Schedule(Instant at, std::function<void()> run) {
    events_.push({at, ++order_, std::move(run)});
  }
  void RunEventsBefore(Instant t) {
    while (!events_.empty() && events_.top().at < t) {
      Event e = events_.top();
      events_.pop();
      clock_.Set(e.at);
      e.run();
    }
  }

  void Queue(const queue::BranchModel& b, absl::CivilDay day, double progress) {
    const std::string key = b.id + "-" + DayText(day);
    for (const auto& counter : b.counters)
      Must(Await<queue::CounterView>([&](auto done) {
             q_.OpenCounter(b.id, counter.id, "SEED", {}, done);
           }).status(),
           "open counter");
    // Waits shrink from about 9 to about 5 minutes on average over the period.
    std::exponential_distribution<double> wait(1.0 / (9.0 - 4.0 * progress));
    Instant t = At(day, 8, 30, b.zone);
    for (int i = 0; i < o_.visitors; ++i) {
      const queue::ServiceModel& s = b.services[static_cast<std::size_t>(i) % b.services.size()];
      const queue::CounterModel* counter = nullptr;
      for (const auto& c : b.counters)
        if (std::find(c.services.begin(), c.services.end(), s.code) != c.services.end())
          counter = &c;
      if (!counter) continue;
      clock_.Set(t);
      queue::IssueCommand issue{b.id,
                                s.code,
                                queue::PriorityClass::kNormal,
                                queue::Channel::kKiosk,
                                queue::ContactKind::kNone,
                                "",
                                key + "-" + std::to_string(i)};
      auto ticket = Await<queue::TicketView>([&](auto done) { q_.Issue(issue, done); });
      Must(ticket.status(), "issue");
      ++tickets;
      const std::string number = ticket->ticket.display;
      if (Uniform() < 0.02) {
        clock_.Advance(minutes(Between(1, 5)));
        Must(Await<queue::TicketView>([&](auto done) {
               q_.Cancel({b.id, "", number}, done);
             }).status(),
             "cancel");
        t = clock_.Now() + seconds(30);
        continue;
      }
      clock_.Advance(seconds(static_cast<int>(wait(rng_) * 60) + 20));
      auto called =
          Await<queue::CallResult>([&](auto done) { q_.CallNext(b.id, counter->id, done); });
      Must(called.status(), "call");
      const queue::TicketCommand cmd{b.id, counter->id, number};
      if (Uniform() < 0.06) {
        clock_.Advance(minutes(2));
        Must(Await<queue::TicketView>([&](auto done) { q_.MarkNoShow(cmd, done); }).status(),
             "no-show");
      } else {
        clock_.Advance(seconds(30));
        Must(Await<queue::TicketView>([&](auto done) { q_.StartServing(cmd, done); }).status(),
             "serve");
        clock_.Advance(seconds(Between(120, 420)));
        const int rating = Uniform() < 0.1 ? 0 : Between(3, 5);
        Must(Await<queue::TicketView>([&](auto done) {
               q_.Complete(cmd, queue::Outcome::kResolved, rating, done);
             }).status(),
             "complete");
      }
      t = clock_.Now() + seconds(Between(10, 90));
    }
    for (const auto& counter : b.counters)
      Must(Await<queue::CounterView>([&](auto done) {
             q_.CloseCounter(b.id, counter.id, done);
           }).status(),
           "close counter");
  }

  void Cases(const queue::BranchModel& b, absl::CivilDay day) {
    auto branch = case_cfg_.branches.find(b.id);
    if (branch == case_cfg_.branches.end()) return;
    const auto& cal = *branch->second.calendar;
    for (int i = 0; i < o_.cases; ++i) {
      auto type_it = case_cfg_.types.begin();
      std::advance(type_it, created % static_cast<long>(case_cfg_.types.size()));
      const cases::CaseTypeModel& type = type_it->second;
      clock_.Set(At(day, 8, 1 + i, b.zone));
      cases::CreateCaseCommand cmd;
      cmd.type_code = type.code;
      cmd.branch_id = b.id;
      cmd.applicant.name = "Seed";
      cmd.applicant.customer_number = std::to_string(10000000000L + created);
      cmd.applicant.email = "seed@example.invalid";
      cmd.applicant.channels = {cases::NoticeChannel::kEmail};
      cmd.received_via = "counter";
      cmd.summary = "seeded case";
      cmd.staff_id = "SEED";
      cmd.idempotency_key = "seed-" + b.id + "-" + DayText(day) + "-" + std::to_string(i);
      auto made = Await<cases::CreatedCase>([&](auto done) { c_.Create(cmd, done); });
      Must(made.status(), "create case");
      ++created;
      const std::string number = made->view.record.acceptance_number;
      int days = 1;
      bool first_reply = false;
      for (const auto& t : type.targets) {
        if (t.stop == cases::SlaStopKind::kFirstReply) first_reply = true;
        if (t.stop == cases::SlaStopKind::kCompletion &&
            t.length.unit == cases::SlaLength::Unit::kWorkingDays)
          days = t.length.amount;
      }
      if (first_reply) {
        const int reply_hours = Uniform() < 0.85 ? Between(2, 60) : Between(73, 90);
        Schedule(clock_.Now() + hours(reply_hours),
                 [this, number] { Move(number, "in_progress"); });
      }
      const bool on_time = Uniform() < 0.8;
      const int offset = on_time ? Between(0, std::max(0, days - 1)) : days + Between(1, 3);
      absl::CivilDay close_day = day;
      for (int k = 0; k < offset;) {
        ++close_day;
        if (cal.IsWorkingDay(close_day)) ++k;
      }
      const Instant close_at = At(close_day, 8, 20, b.zone) + hours(first_reply ? 96 : 0);
      if (!on_time && Uniform() < 0.5) {
        static const char* const kReasons[] = {"待客戶補件", "設備缺料", "需會同其他單位現場勘查",
                                               "待用戶約定施工時間"};
        const std::string reason = kReasons[Between(0, 3)];
        const std::string new_date = DayText(absl::CivilDay(
            absl::ToCivilDay(absl::FromUnixMillis(csops::ToUnixMillis(close_at)), b.zone)));
        Schedule(At(day, 8, 15, b.zone) + hours(1), [this, number, reason, new_date] {
          Must(Await<cases::CaseView>([&](auto done) {
                 c_.DeclareDelay(number, "SEED", reason, new_date, done);
               }).status(),
               "declare delay");
        });
      }
      Schedule(close_at, [this, number] { Move(number, "completed"); });
    }
  }

  void Move(const std::string& number, const std::string& to) {
    auto view = c_.Get(number);
    Must(view.status(), "get case");
    if (cases::IsClosed(view->record.status)) return;
    if (to == "in_progress" && view->record.status != cases::CaseStatus::kAccepted) return;
    Must(Await<cases::CaseView>([&](auto done) {
           c_.Transition(number, *cases::ParseStatus(to), "SEED", "", done);
         }).status(),
         "transition to " + to);
  }

  void Notices(absl::CivilDay day) {
    const notify::Channel all[] = {notify::Channel::kEmail, notify::Channel::kSms,
                                   notify::Channel::kVoice, notify::Channel::kAppPush,
                                   notify::Channel::kPostcard};
    for (int i = 0; i < o_.notices; ++i) {
      clock_.Set(At(day, 10, 0, Zone()) + minutes(i * 5));
      notify::SendCommand cmd;
      cmd.idempotency_key = "seed-" + DayText(day) + "-" + std::to_string(i);
      cmd.kind = "abnormal_usage";
      const std::string customer = std::to_string(20000000000L + sent);
      cmd.recipient = {customer,
                       "Seed",
                       "seed@example.invalid",
                       "0912345678",
                       {"seed-token-" + customer},
                       {"臺北市中正區羅斯福路一段 1 號"}};
      cmd.variables = {{"customer_number", customer}, {"usage_kwh", "820"}, {"ratio", "2.1"}};
      const notify::Channel first = all[static_cast<std::size_t>(i) % std::size(all)];
      cmd.channels = {first};
      if (first != notify::Channel::kPostcard) cmd.channels.push_back(notify::Channel::kPostcard);
      auto r = Await<notify::SendResult>([&](auto done) { n_.Send(cmd, done); });
      Must(r.status(), "send");
      ++sent;
      Deliver();
    }
  }

  // Plays the providers: claims what is due and answers for each, until nothing is due.
  void Deliver() {
    for (int round = 0; round < 10; ++round) {
      auto due = n_.Claim(100, minutes(2));
      Must(due.status(), "claim");
      if (due->empty()) return;
      for (const auto& d : *due) {
        clock_.Advance(seconds(Between(1, 20)));
        const auto providers = notify_cfg_.ProvidersFor(d.channel);
        const std::string provider = providers.empty() ? "none" : providers.front()->name;
        const double roll = Uniform();
        const std::string id = "seed-" + std::to_string(d.id) + "-" + std::to_string(round);
        notify::SendOutcome outcome = roll < 0.93   ? notify::SendOutcome::Ok(id)
                                      : roll < 0.97 ? notify::SendOutcome::Permanent("refused")
                                                    : notify::SendOutcome::Transient("busy");
        Must(Await<bool>([&](auto done) {
               n_.Complete(d, provider, outcome, csops::Duration(300), done);
             }).status(),
             "complete delivery");
        if (outcome.kind == notify::OutcomeKind::kOk && d.channel == notify::Channel::kSms &&
            Uniform() < 0.9)
          Must(Await<bool>([&](auto done) {
                 n_.ReportDelivery(provider, id, true, "", done);
               }).status(),
               "receipt");
      }
      clock_.Advance(minutes(1));  // transient failures come due again after their back-off
    }
  }

  const Options& o_;
  csops::FakeClock& clock_;
  queue::QueueEngine& q_;
  cases::CaseEngine& c_;
  const cases::CaseConfig& case_cfg_;
  notify::NotifyEngine& n_;
  const notify::NotifyConfig& notify_cfg_;
  std::mt19937 rng_;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> events_;
  long order_ = 0;
};

int Usage(const std::string& why) { return csops::flags::UsageError("history_seed", why); }

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app(
      "history_seed: writes months of office history into a data directory (csopsd must not be "
      "running), through the real engines on a fake clock.",
      "history_seed");
  csops::flags::UseCsopsConventions(app);
  app.add_option("--config", o.config, "csopsd's config file")->required();
  app.add_option("--data-dir", o.data_dir, "the data directory to write")->required();
  app.add_option("--from", o.from, "first day YYYY-MM-DD")->required();
  app.add_option("--to", o.to, "last day YYYY-MM-DD")->required();
  app.add_option("--visitors", o.visitors, "tickets per branch and working day")
      ->check(csops::flags::Whole(0))
      ->capture_default_str();
  app.add_option("--cases", o.cases, "cases per branch and working day")
      ->check(csops::flags::Whole(0))
      ->capture_default_str();
  app.add_option("--notices", o.notices, "notices per day")
      ->check(csops::flags::Whole(0))
      ->capture_default_str();
  app.add_option("--seed", o.seed, "random seed")
      ->check(csops::flags::Whole(0u))
      ->capture_default_str();
  if (auto rc = csops::flags::Parse(app, argc, argv)) return *rc;
  auto first = csops::report::ParseDay("--from", o.from);
  auto last = csops::report::ParseDay("--to", o.to);
  if (!first.ok() || !last.ok() || *last < *first) return Usage("--from and --to: dates, in order");
  auto loaded = csops::LoadConfig(o.config);
  if (!loaded.ok()) return Usage(loaded.status().ToString());
  auto branches = queue::BuildBranchModels(*loaded);
  auto case_cfg = cases::BuildCaseConfig(*loaded);
  auto notify_cfg = notify::BuildNotifyConfig(*loaded);
  if (!branches.ok() || !case_cfg.ok() || !notify_cfg.ok() || branches->empty())
    return Usage("the config needs branches, case types and a notify section");

  auto qdb = OpenDb(o.data_dir, "queue", queue::SqliteQueueStore::Migrations());
  // The data directory's own look-up secret, so csopsd can check the seeded cases' codes.
  auto secret = cases::LoadOrCreateLookupSecret(o.data_dir + "/" + cases::kLookupSecretFileName);
  Must(secret.status(), "look-up secret");
  auto cdb = OpenDb(o.data_dir, "case", cases::SqliteCaseStore::Migrations(secret->secret));
  auto ndb = OpenDb(o.data_dir, "notify", notify::SqliteNotifyStore::Migrations());
  queue::SqliteQueueStore qstore(*qdb);
  cases::SqliteCaseStore cstore(*cdb);
  notify::SqliteNotifyStore nstore(*ndb);
  csops::FakeClock clock(csops::RealClock::Get().Now());
  NullListener listener;
  queue::QueueEngine q(clock, *branches, qstore, listener);
  cases::CaseEngine c(clock, *case_cfg, cstore, "https://csops.example/progress", secret->secret);
  notify::NotifyEngine n(clock, *notify_cfg, nstore);
  Seeder seeder(o, clock, q, c, *case_cfg, n, *notify_cfg);
  const double span = static_cast<double>(*last - *first) + 1;
  for (absl::CivilDay d = *first; d <= *last; ++d) {
    seeder.Day(d, static_cast<double>(d - *first) / span);
    if (d.day() == 1 || d == *last)
      std::fprintf(stderr, "history_seed: %s: %ld tickets, %ld cases, %ld notices so far\n",
                   DayText(d).c_str(), seeder.tickets, seeder.created, seeder.sent);
  }
  seeder.Finish(At(*last + 30, 0, 0, branches->front()->zone));
  std::printf("seeded %s..%s: %ld tickets, %ld cases, %ld notices\n", o.from.c_str(), o.to.c_str(),
              seeder.tickets, seeder.created, seeder.sent);
  return 0;
}

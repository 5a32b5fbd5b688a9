#include "services/queue/queue_module.h"

#include <absl/time/civil_time.h>

#include <future>

#include "common/base/log.h"
#include "common/base/wall_clock_wait.h"
#include "services/queue/store/postgres/postgres_board_log.h"
#include "services/queue/store/postgres/postgres_queue_store.h"
#include "services/queue/store/sqlite/sqlite_queue_store.h"

namespace csops::queue {

Result<std::unique_ptr<QueueModule>> QueueModule::Start(
    StorageOptions storage, std::vector<std::shared_ptr<const BranchModel>> branches,
    prometheus::Registry& registry, const Clock& clock) {
  std::unique_ptr<QueueModule> m(new QueueModule());
  m->clock_ = &clock;
  if (storage.postgres) {
    storage.postgres->migrations = PostgresQueueStore::Migrations();
    storage.postgres->registry = &registry;
    auto db = postgres::Database::Open(std::move(*storage.postgres));
    if (!db.ok()) return db.status();
    m->pg_ = std::move(*db);
    m->store_ = std::make_unique<PostgresQueueStore>(*m->pg_);
    m->expiry_lease_ = std::make_unique<postgres::LeaseKeeper>(
        *m->pg_, "queue.daily_expiry", storage.replica_id, std::chrono::seconds(10), &registry);
    m->expiry_lease_->Start();
  } else {
    storage.sqlite.migrations = SqliteQueueStore::Migrations();
    storage.sqlite.registry = &registry;
    auto db = sqlite::Database::Open(std::move(storage.sqlite));
    if (!db.ok()) return db.status();
    m->db_ = std::move(*db);
    m->store_ = std::make_unique<SqliteQueueStore>(*m->db_);
  }
  m->hub_ = std::make_unique<BoardHub>();
  QueueListener* boards = m->hub_.get();  // SQLite: one process numbers its own events
  if (m->pg_) {  // replicas: boards everywhere read the shared log (board_log_feed.h)
    m->board_log_ = std::make_unique<PostgresBoardLog>(*m->pg_);
    m->board_metrics_ = std::make_unique<BoardFeedMetrics>(registry);
    m->board_feed_ =
        std::make_unique<BoardLogFeed>(*m->board_log_, *m->hub_, clock, m->board_metrics_.get());
    m->board_feed_->Start();
    boards = m->board_feed_.get();
  }
  m->metrics_ = std::make_unique<QueueMetrics>(registry, branches);
  m->fanout_ = std::make_unique<ListenerFanout>(
      std::vector<QueueListener*>{m->metrics_.get(), boards, &m->relay_wake_});
  m->branches_ = branches;
  m->engine_ = std::make_unique<QueueEngine>(clock, std::move(branches), *m->store_, *m->fanout_);
  if (m->pg_) m->engine_->ReadCountersEvery(std::chrono::seconds(1));
  m->executor_ = std::make_unique<boost::asio::thread_pool>(2);
  m->finisher_ = std::make_unique<boost::asio::thread_pool>(2);
  m->service_ = std::make_unique<QueueService>(*m->engine_, *m->hub_, *m->executor_, *m->finisher_);
  m->ExpireAndRefresh();
  m->reset_thread_ = std::thread([p = m.get()] { p->ResetLoop(); });
  return m;
}

QueueModule::~QueueModule() { Stop(); }

void QueueModule::StartRelay(const auth::ServiceTarget& notify_target,
                             prometheus::Registry& registry) {
  outbox_source_ = std::make_unique<QueueOutboxSource>(*store_, *clock_, branches_);
  relay_ = outbox::MakeNoticeRelay("queue", *outbox_source_, notify_target, registry);
  relay_->Start();
  relay_wake_.relay.store(relay_.get());
}

void QueueModule::ExpireAndRefresh() {
  const bool mine = !expiry_lease_ || expiry_lease_->held().has_value();
  const Instant now = clock_->Now();
  for (const auto& b : engine_->branches()) {
    const std::string day = absl::FormatCivilTime(b->BusinessDay(now));
    if (!mine || expired_day_[b->id] == day) {
      auto view = engine_->Snapshot(b->id);
      if (view.ok()) metrics_->Refresh(*view);
      continue;
    }
    std::promise<Result<int>> p;
    engine_->ExpireStale(b->id, [&p](Result<int> r) { p.set_value(std::move(r)); });
    auto expired = p.get_future().get();
    if (!expired.ok()) {
      CSOPS_LOG(kError, "queue_daily_reset_failed")
          .Kv("branch", b->id)
          .Kv("error", expired.status().ToString());
    } else {
      expired_day_[b->id] = day;
      if (*expired > 0)
        CSOPS_LOG(kInfo, "queue_daily_reset").Kv("branch", b->id).Kv("expired", *expired);
    }
    auto view = engine_->Snapshot(b->id);
    if (view.ok()) metrics_->Refresh(*view);
  }
}

void QueueModule::ResetLoop() {
  for (;;) {
    Instant next = Instant::max();
    const Instant now = clock_->Now();
    for (const auto& b : engine_->branches()) next = std::min(next, b->NextDayStart(now));
    // Replicas: a lease taken over, or metrics of what other replicas changed.
    if (expiry_lease_) next = std::min(next, now + std::chrono::seconds(5));
    // The boundary is read on the engine's own clock, so once the waiter sees it the engine's
    // business day has turned too; a wall-clock step past it is seen within one slice.
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (WallClockWaiter(*clock_).WaitUntil(lock, cv_, next, [this] { return stopping_; })) return;
    }
    ExpireAndRefresh();
  }
}

void QueueModule::Stop() {
  if (stopped_) return;
  stopped_ = true;
  relay_wake_.relay.store(nullptr);
  if (relay_) relay_->Stop();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (reset_thread_.joinable()) reset_thread_.join();
  if (expiry_lease_) expiry_lease_->Stop();
  if (executor_) executor_->join();
  if (finisher_) finisher_->join();
  if (board_feed_) board_feed_->Stop();  // its last appends complete in pg_->Close()
  if (db_) db_->Close();
  if (pg_) pg_->Close();
}

std::vector<auth::AccessRule> QueueAccessRules() {
  using namespace config::v1;  // roles
  const std::string q = "/csops.queue.v1.QueueService/";
  return {
      auth::RoleRule(q + "IssueTicket", {KIOSK, COUNTER}),
      auth::RoleRule(q + "CallNext", {COUNTER}),
      auth::RoleRule(q + "Recall", {COUNTER}),
      auth::RoleRule(q + "StartServing", {COUNTER}),
      auth::RoleRule(q + "Complete", {COUNTER}),
      auth::RoleRule(q + "MarkNoShow", {COUNTER}),
      auth::RoleRule(q + "Cancel", {KIOSK, COUNTER}),
      auth::RoleRule(q + "Requeue", {COUNTER}),
      auth::RoleRule(q + "Transfer", {COUNTER}),
      auth::RoleRule(q + "OpenCounter", {COUNTER}),
      auth::RoleRule(q + "PauseCounter", {COUNTER}),
      auth::RoleRule(q + "CloseCounter", {COUNTER}),
      auth::RoleRule(q + "GetTicket", {KIOSK, COUNTER, SUPERVISOR}),
      auth::PublicRule(q + "GetBranchSnapshot"),
      auth::PublicRule(q + "WatchBoard"),
      auth::RoleRule(q + "ListNearTurnNotices", {SUPERVISOR, SERVICE}),
      auth::RoleRule(q + "GetQueueReport", {SUPERVISOR}),
  };
}

}  // namespace csops::queue

// Everything csopsd needs to run the queue service: its database (queue.db, or the csops_queue
// schema of a PostgreSQL database) with its migrations, the engine, board fan-out (on
// PostgreSQL through the event log every replica reads), metrics, the gRPC service, and the
// daily reset at each branch's day start.
//
// Start() opens the database and expires anything left from earlier business days before the
// service is offered. Stop() (after the gRPC server has shut down) stops the daily reset,
// drains the read executor and flushes the writer. Thread safety: Start/Stop from one thread.
// The daily reset waits for each day start on the injected Clock through a WallClockWaiter, so
// a wall-clock step past a day start expires the old day's tickets within a second. On
// PostgreSQL the replicas share it: only the holder of the lease queue.daily_expiry expires,
// and the reset thread also looks every 5 s, so a replica that takes the lease over (its holder
// died at the day start) expires what was left within a lease period. Expiring twice is
// harmless (a ticket already expired is not found again), so the lease keeps the replicas from
// all doing it at once rather than guarding a write.
#pragma once

#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <condition_variable>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "common/auth/client_auth.h"
#include "common/auth/policy.h"
#include "common/base/clock.h"
#include "common/postgres/lease_keeper.h"
#include "common/storage/storage_options.h"
#include "services/queue/api/board_hub.h"
#include "services/queue/api/board_log_feed.h"
#include "services/queue/api/queue_outbox_source.h"
#include "services/queue/api/queue_service.h"
#include "services/queue/board_feed_metrics.h"
#include "services/queue/queue_metrics.h"
#include "services/queue/store/queue_store.h"

namespace csops::queue {

class QueueModule {
 public:
  // The migrations are filled in here; on SQLite the path should be <data_dir>/queue.db.
  static Result<std::unique_ptr<QueueModule>> Start(
      StorageOptions storage, std::vector<std::shared_ptr<const BranchModel>> branches,
      prometheus::Registry& registry, const Clock& clock);
  ~QueueModule();

  grpc::Service* service() { return service_.get(); }
  void SetClientPolicy(std::shared_ptr<StreamQuota> quota, std::vector<Cidr> trusted_proxies) {
    service_->SetClientPolicy(std::move(quota), std::move(trusted_proxies));
  }
  QueueEngine& engine() { return *engine_; }
  void Stop();
  // Starts relaying "your turn is near" notices to the notify service at `notify_target`.
  void StartRelay(const auth::ServiceTarget& notify_target, prometheus::Registry& registry);
  // False while the PostgreSQL server is out of reach (always true on SQLite).
  bool store_available() const { return !pg_ || pg_->available(); }

 private:
  QueueModule() = default;
  void ResetLoop();
  void ExpireAndRefresh();

  const Clock* clock_ = nullptr;
  std::unique_ptr<sqlite::Database> db_;                 // on SQLite
  std::unique_ptr<postgres::Database> pg_;               // on PostgreSQL
  std::unique_ptr<postgres::LeaseKeeper> expiry_lease_;  // on PostgreSQL
  std::map<std::string, std::string> expired_day_;  // by branch; the reset thread's (and Start's)
  std::unique_ptr<QueueStore> store_;
  std::unique_ptr<BoardHub> hub_;
  std::unique_ptr<BoardLog> board_log_;              // on PostgreSQL
  std::unique_ptr<BoardFeedMetrics> board_metrics_;  // on PostgreSQL
  std::unique_ptr<BoardLogFeed> board_feed_;         // on PostgreSQL: the engine's board listener
  std::unique_ptr<QueueMetrics> metrics_;
  std::unique_ptr<ListenerFanout> fanout_;
  std::unique_ptr<QueueEngine> engine_;
  std::unique_ptr<boost::asio::thread_pool> executor_;
  std::unique_ptr<boost::asio::thread_pool> finisher_;
  std::unique_ptr<QueueService> service_;
  std::vector<std::shared_ptr<const BranchModel>> branches_;
  // Wakes the relay after every commit (a near-turn notice may have been written).
  class RelayWake final : public QueueListener {
   public:
    void OnCommitted(const std::vector<QueueChange>&) override {
      if (outbox::NoticeRelay* r = relay.load()) r->Wake();
    }
    std::atomic<outbox::NoticeRelay*> relay{nullptr};
  };
  RelayWake relay_wake_;
  std::unique_ptr<QueueOutboxSource> outbox_source_;
  std::unique_ptr<outbox::NoticeRelay> relay_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread reset_thread_;
  bool stopped_ = false;
};

// The queue service's entries of the access table (policy.h): kiosks issue, counters act
// (for their own branch: the key's branch), boards watch without a key.
std::vector<auth::AccessRule> QueueAccessRules();

}  // namespace csops::queue

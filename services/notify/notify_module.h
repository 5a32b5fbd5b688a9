// What csopsd needs to run the notify service: its database (notify.db, or the csops_notify
// schema of a PostgreSQL database) with its migrations, the engine, the
// provider senders, the dispatcher (with the providers' rate budgets: this process's own on
// SQLite, shared by every replica on PostgreSQL), a read executor and the gRPC service. Stop()
// after the gRPC server has shut down: it stops dispatching and waits for calls in flight to be
// recorded.
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <memory>

#include "common/auth/client_auth.h"
#include "common/auth/policy.h"
#include "common/http/http_server.h"
#include "common/postgres/lease_keeper.h"
#include "common/storage/storage_options.h"
#include "services/notify/api/notify_service.h"
#include "services/notify/api/task_relay.h"
#include "services/notify/dispatcher.h"
#include "services/notify/domain/postcard_journal.h"
#include "services/notify/notify_engine.h"
#include "services/notify/notify_metrics.h"
#include "services/notify/store/notify_store.h"

namespace csops::notify {

class NotifyModule {
 public:
  // `data_dir` anchors relative postcard directories.
  static Result<std::unique_ptr<NotifyModule>> Start(StorageOptions storage, NotifyConfig config,
                                                     const Clock& clock,
                                                     const std::string& data_dir,
                                                     prometheus::Registry& registry);
  ~NotifyModule();
  grpc::Service* service() { return service_.get(); }
  std::shared_ptr<prometheus::Collectable> queue_collector() { return queue_collector_; }
  // HTTP routes for provider delivery receipts (/receipts/<provider>).
  std::map<std::string, http::Handler> receipt_routes();
  void Stop();
  // False while the PostgreSQL server is out of reach (always true on SQLite).
  bool store_available() const { return !pg_ || pg_->available(); }
  // Starts handing plan tasks to the case service at `case_target` (once the gRPC server is
  // up, so a case service in the same process can answer).
  void StartTaskRelay(const auth::ServiceTarget& case_target);

 private:
  NotifyModule() = default;
  std::unique_ptr<sqlite::Database> db_;    // on SQLite
  std::unique_ptr<postgres::Database> pg_;  // on PostgreSQL
  // On PostgreSQL: the singleton leases (purge, each postcard provider's batches).
  std::vector<std::unique_ptr<postgres::LeaseKeeper>> leases_;
  std::unique_ptr<NotifyStore> store_;
  std::unique_ptr<NotifyMetrics> metrics_;
  std::unique_ptr<NotifyEngine> engine_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<boost::asio::thread_pool> executor_;
  std::unique_ptr<NotifyService> service_;
  std::shared_ptr<NotifyQueueCollector> queue_collector_;
  prometheus::Registry* registry_ = nullptr;  // for the task relay's counters
  std::unique_ptr<TaskRelay> task_relay_;
  bool stopped_ = false;
};

// One sender per configured provider (by name).
// `journals` (optional) gives each postcard provider its journal; null: journal files in
// the provider's directory.
using PostcardJournalFactory =
    std::function<std::unique_ptr<PostcardJournal>(const ProviderModel&)>;
std::map<std::string, std::unique_ptr<ChannelSender>> MakeSenders(
    const NotifyConfig& config, const Clock& clock, const std::string& data_dir,
    const PostcardJournalFactory& journals = nullptr);

// The notify service's entries of the access table (policy.h): billing sends and runs plans;
// csops services send through their relays; providers post delivery receipts.
std::vector<auth::AccessRule> NotifyAccessRules();

}  // namespace csops::notify

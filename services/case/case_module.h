// What csopsd needs to run the case service: its database (case.db, or the csops_case schema
// of a PostgreSQL database) with its migrations, the engine, a read
// executor and the gRPC service. Stop() after the gRPC server has shut down.
#pragma once

#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <memory>

#include "common/auth/client_auth.h"
#include "common/auth/policy.h"
#include "common/storage/storage_options.h"
#include "services/case/api/case_outbox_source.h"
#include "services/case/api/case_service.h"
#include "services/case/api/lookup_failures.h"
#include "services/case/case_engine.h"
#include "services/case/case_metrics.h"
#include "services/case/sla_scheduler.h"
#include "services/case/store/case_store.h"

namespace csops::cases {

class CaseModule {
 public:
  // The look-up secret is kept next to storage.sqlite.path (in the data directory) on either
  // store; on PostgreSQL the database holds a verifier of it, so a replica with another key
  // is refused.
  static Result<std::unique_ptr<CaseModule>> Start(StorageOptions storage, CaseConfig config,
                                                   const Clock& clock, std::string lookup_base_url,
                                                   prometheus::Registry& registry);
  ~CaseModule();
  grpc::Service* service() { return service_.get(); }
  void SetClientPolicy(std::shared_ptr<StreamQuota> quota, std::vector<Cidr> trusted_proxies) {
    service_->SetClientPolicy(std::move(quota), std::move(trusted_proxies));
  }
  // Scrape-time metrics for the /metrics routes.
  std::shared_ptr<prometheus::Collectable> open_collector() { return open_collector_; }
  void Stop();
  // False while the PostgreSQL server is out of reach (always true on SQLite).
  bool store_available() const { return !pg_ || pg_->available(); }
  // New case types and calendars (SIGHUP): swaps them in and re-arms every SLA timer.
  Status Reload(CaseConfig config);
  // Starts relaying the outbox to the notify service at `notify_target` (once the gRPC server
  // is up, so a notify service in the same process can answer).
  void StartRelay(const auth::ServiceTarget& notify_target,
                  std::map<std::string, std::string> supervisor_emails,
                  prometheus::Registry& registry);

 private:
  explicit CaseModule(const Clock& clock) : clock_(clock) {}
  const Clock& clock_;
  std::unique_ptr<sqlite::Database> db_;    // on SQLite
  std::unique_ptr<postgres::Database> pg_;  // on PostgreSQL
  std::unique_ptr<CaseStore> store_;
  std::unique_ptr<CaseEngine> engine_;
  std::unique_ptr<boost::asio::thread_pool> executor_;
  std::unique_ptr<FailureLedger> lookup_failures_;  // in pg_ on PostgreSQL
  std::unique_ptr<CaseService> service_;
  std::unique_ptr<SlaScheduler> scheduler_;
  std::unique_ptr<CaseMetrics> metrics_;
  std::unique_ptr<SlaEventHub> hub_;
  std::shared_ptr<CaseOpenCollector> open_collector_;
  std::unique_ptr<CaseOutboxSource> outbox_source_;
  std::unique_ptr<outbox::NoticeRelay> relay_;
  std::atomic<outbox::NoticeRelay*> relay_ptr_{nullptr};  // for the commit hook
  bool stopped_ = false;
};

// The case service's entries of the access table (policy.h): staff work cases; the public
// looks up progress with number and code.
std::vector<auth::AccessRule> CaseAccessRules();

}  // namespace csops::cases

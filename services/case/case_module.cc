#include "services/case/case_module.h"

#include "common/log.h"

namespace csops::cases {

Result<std::unique_ptr<CaseModule>> CaseModule::Start(sqlite::DatabaseOptions db_options,
                                                      CaseConfig config, const Clock& clock,
                                                      std::string lookup_base_url,
                                                      prometheus::Registry& registry) {
  std::unique_ptr<CaseModule> m(new CaseModule());
  db_options.migrations = SqliteCaseStore::Migrations();
  db_options.registry = &registry;
  m->metrics_ = std::make_unique<CaseMetrics>(registry, config);
  auto db = sqlite::Database::Open(std::move(db_options));
  if (!db.ok()) return db.status();
  m->db_ = std::move(*db);
  m->store_ = std::make_unique<SqliteCaseStore>(*m->db_);
  m->engine_ = std::make_unique<CaseEngine>(clock, std::move(config), *m->store_,
                                            std::move(lookup_base_url));
  m->scheduler_ = std::make_unique<SlaScheduler>(clock, *m->engine_);
  m->hub_ = std::make_unique<SlaEventHub>();
  SlaEventHub* hub = m->hub_.get();
  SlaScheduler* scheduler = m->scheduler_.get();
  m->engine_->SetHooks(
      [scheduler](const std::string& number, std::optional<Instant> next) {
        scheduler->Reschedule(number, next);
      },
      [hub](const std::vector<SlaEvent>& events) {
        hub->Publish(events);
        for (const SlaEvent& e : events)
          CSOPS_LOG(kInfo, "sla_event")
              .Kv("case", e.acceptance_number)
              .Kv("type", e.type_code)
              .Kv("target", e.target)
              .Kv("event", e.event)
              .Kv("late_ms", ToUnixMillis(e.fired_at) - ToUnixMillis(e.due_at));
      });
  CaseMetrics* metrics = m->metrics_.get();
  m->engine_->SetCommitHook([metrics](const CaseCommit& c) { metrics->OnCommit(c); });
  if (Status s = m->scheduler_->Start(); !s.ok()) return s.WithContext("SLA timers");
  m->open_collector_ = std::make_shared<CaseOpenCollector>(*m->engine_);
  m->executor_ = std::make_unique<boost::asio::thread_pool>(2);
  m->service_ = std::make_unique<CaseService>(*m->engine_, *m->hub_, *m->executor_, clock);
  return m;
}

CaseModule::~CaseModule() { Stop(); }

Status CaseModule::Reload(CaseConfig config) {
  engine_->Reload(std::move(config));
  return scheduler_->Rearm();
}

void CaseModule::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (scheduler_) scheduler_->Stop();
  if (executor_) executor_->join();
  if (db_) db_->Close();
}

}  // namespace csops::cases

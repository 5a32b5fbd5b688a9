#include "services/case/case_module.h"

#include <unistd.h>

#include <filesystem>

#include "common/base/log.h"
#include "services/case/api/postgres_lookup_failures.h"
#include "services/case/lookup_secret_file.h"
#include "services/case/store/postgres/postgres_case_store.h"
#include "services/case/store/sqlite/sqlite_case_store.h"

namespace csops::cases {

Result<std::unique_ptr<CaseModule>> CaseModule::Start(StorageOptions storage, CaseConfig config,
                                                      const Clock& clock,
                                                      std::string lookup_base_url,
                                                      prometheus::Registry& registry) {
  std::unique_ptr<CaseModule> m(new CaseModule(clock));
  // The look-up secret sits in the data directory, outside the database (lookup_secret_file.h).
  const std::string key_path =
      (std::filesystem::path(storage.sqlite.path).parent_path() / kLookupSecretFileName).string();
  auto secret = LoadOrCreateLookupSecret(key_path);
  if (!secret.ok()) return secret.status();
  if (secret->created) CSOPS_LOG(kInfo, "lookup_secret_created").Kv("path", key_path);
  m->metrics_ = std::make_unique<CaseMetrics>(registry, config);
  Status key_check;
  if (storage.postgres) {
    storage.postgres->migrations = PostgresCaseStore::Migrations(secret->secret);
    storage.postgres->registry = &registry;
    auto db = postgres::Database::Open(std::move(*storage.postgres));
    if (!db.ok()) return db.status();
    m->pg_ = std::move(*db);
    key_check = PostgresCaseStore::CheckLookupSecret(*m->pg_, secret->secret);
    m->store_ = std::make_unique<PostgresCaseStore>(*m->pg_);
  } else {
    storage.sqlite.migrations = SqliteCaseStore::Migrations(secret->secret);
    storage.sqlite.registry = &registry;
    auto db = sqlite::Database::Open(std::move(storage.sqlite));
    if (!db.ok()) return db.status();
    m->db_ = std::move(*db);
    key_check = SqliteCaseStore::CheckLookupSecret(*m->db_, secret->secret);
    m->store_ = std::make_unique<SqliteCaseStore>(*m->db_);
  }
  if (!key_check.ok()) {
    // A key made just now for a restored database: remove it, so the backup's can be put back.
    if (secret->created) ::unlink(key_path.c_str());
    return key_check.WithContext(key_path);
  }
  m->engine_ = std::make_unique<CaseEngine>(clock, std::move(config), *m->store_,
                                            std::move(lookup_base_url), secret->secret);
  m->scheduler_ = std::make_unique<SlaScheduler>(clock, *m->engine_);
  m->hub_ = std::make_unique<SlaEventHub>(
      [engine = m->engine_.get()](std::int64_t after, const std::string& branch,
                                  const std::string& type, int limit) {
        return engine->SlaEventsAfter(after, branch, type, limit);
      });
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
  CaseModule* self = m.get();
  m->engine_->SetCommitHook([metrics, self](const CaseCommit& c) {
    metrics->OnCommit(c);
    if (outbox::NoticeRelay* relay = self->relay_ptr_.load()) relay->Wake();
  });
  if (Status s = m->scheduler_->Start(); !s.ok()) return s.WithContext("SLA timers");
  m->open_collector_ = std::make_shared<CaseOpenCollector>(*m->engine_);
  m->executor_ = std::make_unique<boost::asio::thread_pool>(2);
  auto& ignored = prometheus::BuildCounter()
                      .Name("csops_case_lookup_client_ip_ignored_total")
                      .Help(
                          "Look-ups naming a client (x-csops-client-ip) that is not believed: "
                          "only csopsd's own pages and SERVICE keys may")
                      .Register(registry)
                      .Add({});
  // Failed look-ups count for the whole deployment: in the database every replica shares, or
  // in this process on SQLite (one process by construction).
  if (m->pg_)
    m->lookup_failures_ = std::make_unique<PostgresFailureLedger>(*m->pg_, secret->secret);
  else
    m->lookup_failures_ = std::make_unique<InMemoryFailureLedger>();
  m->service_ = std::make_unique<CaseService>(*m->engine_, *m->hub_, *m->executor_, clock,
                                              *m->lookup_failures_, &ignored);
  return m;
}

CaseModule::~CaseModule() { Stop(); }

void CaseModule::StartRelay(const auth::ServiceTarget& notify_target,
                            std::map<std::string, std::string> supervisor_emails,
                            prometheus::Registry& registry) {
  const CaseEngine* engine = engine_.get();
  outbox_source_ = std::make_unique<CaseOutboxSource>(
      *store_, clock_, std::move(supervisor_emails), [engine](const PendingOutboxRow& row) {
        return engine->DerivedLookupUrl(row.acceptance_number, row.idempotency_key);
      });
  relay_ = outbox::MakeNoticeRelay("case", *outbox_source_, notify_target, registry);
  relay_->Start();
  relay_ptr_.store(relay_.get());
}

Status CaseModule::Reload(CaseConfig config) {
  engine_->Reload(std::move(config));
  return scheduler_->Rearm();
}

void CaseModule::Stop() {
  if (stopped_) return;
  stopped_ = true;
  relay_ptr_.store(nullptr);
  if (relay_) relay_->Stop();
  if (scheduler_) scheduler_->Stop();
  if (executor_) executor_->join();
  if (db_) db_->Close();
  if (pg_) pg_->Close();
}

std::vector<auth::AccessRule> CaseAccessRules() {
  using namespace config::v1;  // roles
  const std::string c = "/csops.case.v1.CaseService/";
  return {
      auth::RoleRule(c + "CreateCase", {STAFF, SUPERVISOR, SERVICE}),
      auth::RoleRule(c + "GetCase", {STAFF, SUPERVISOR, SERVICE}),
      auth::RoleRule(c + "Transition", {STAFF, SUPERVISOR}),
      auth::RoleRule(c + "AddNote", {STAFF, SUPERVISOR}),
      auth::RoleRule(c + "Assign", {STAFF, SUPERVISOR}),
      auth::RoleRule(c + "ListCases", {STAFF, SUPERVISOR}),
      auth::RoleRule(c + "WatchSlaEvents", {SUPERVISOR}),
      auth::RoleRule(c + "GetSlaReport", {SUPERVISOR}),
      auth::RoleRule(c + "DeclareDelay", {STAFF, SUPERVISOR}),
      auth::PublicRule(c + "LookupProgress"),
  };
}

}  // namespace csops::cases

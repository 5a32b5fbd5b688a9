#include "services/notify/notify_module.h"

#include <prometheus/counter.h>

#include <filesystem>

#include "services/notify/api/receipt_routes.h"
#include "services/notify/channels/http_senders.h"
#include "services/notify/channels/postcard_writer.h"
#include "services/notify/channels/smtp_sender.h"
#include "services/notify/store/postgres/postgres_notify_store.h"
#include "services/notify/store/postgres/postgres_postcard_journal.h"
#include "services/notify/store/postgres/postgres_rate_budget.h"
#include "services/notify/store/sqlite/sqlite_notify_store.h"

namespace csops::notify {
namespace {

constexpr std::chrono::seconds kLeaseTtl{10};

}  // namespace

std::map<std::string, std::unique_ptr<ChannelSender>> MakeSenders(
    const NotifyConfig& config, const Clock& clock, const std::string& data_dir,
    const PostcardJournalFactory& journals) {
  std::map<std::string, std::unique_ptr<ChannelSender>> out;
  for (const ProviderModel& p : config.providers) {
    switch (p.kind) {
      case ProviderKind::kSmtp:
        out[p.name] = std::make_unique<SmtpSender>(p);
        break;
      case ProviderKind::kMitakeSms:
        out[p.name] = std::make_unique<MitakeSmsSender>(p);
        break;
      case ProviderKind::kJsonSms:
        out[p.name] = std::make_unique<JsonSmsSender>(p);
        break;
      case ProviderKind::kVoiceWebhook:
        out[p.name] = std::make_unique<VoiceSender>(p);
        break;
      case ProviderKind::kFcm:
        out[p.name] = std::make_unique<FcmSender>(p);
        break;
      case ProviderKind::kPostcardFile: {
        std::filesystem::path dir(p.directory);
        if (dir.is_relative()) dir = std::filesystem::path(data_dir) / dir;
        out[p.name] = std::make_unique<PostcardWriter>(p, dir.string(), clock,
                                                       journals ? journals(p) : nullptr);
        break;
      }
    }
  }
  return out;
}

Result<std::unique_ptr<NotifyModule>> NotifyModule::Start(StorageOptions storage,
                                                          NotifyConfig config, const Clock& clock,
                                                          const std::string& data_dir,
                                                          prometheus::Registry& registry) {
  std::unique_ptr<NotifyModule> m(new NotifyModule());
  m->registry_ = &registry;
  if (storage.postgres) {
    storage.postgres->migrations = PostgresNotifyStore::Migrations();
    storage.postgres->registry = &registry;
    auto db = postgres::Database::Open(std::move(*storage.postgres));
    if (!db.ok()) return db.status();
    m->pg_ = std::move(*db);
    m->store_ = std::make_unique<PostgresNotifyStore>(*m->pg_, storage.replica_id);
  } else {
    storage.sqlite.migrations = SqliteNotifyStore::Migrations();
    storage.sqlite.registry = &registry;
    auto db = sqlite::Database::Open(std::move(storage.sqlite));
    if (!db.ok()) return db.status();
    m->db_ = std::move(*db);
    m->store_ = std::make_unique<SqliteNotifyStore>(*m->db_);
  }
  m->metrics_ = std::make_unique<NotifyMetrics>(registry, config);
  // On PostgreSQL, singleton work is leased in the replica's name: purges by one replica at a
  // time, and each postcard provider's windows shared and printed by one (postgres_postcard_
  // journal.h). A lease passes to another replica within kLeaseTtl of its holder dying.
  PostcardJournalFactory journals;
  postgres::LeaseKeeper* purge_lease = nullptr;
  if (m->pg_) {
    auto lease = [&m, &registry, &storage](const std::string& name) -> postgres::LeaseKeeper& {
      m->leases_.push_back(std::make_unique<postgres::LeaseKeeper>(
          *m->pg_, name, storage.replica_id, kLeaseTtl, &registry));
      return *m->leases_.back();
    };
    journals = [&m, lease](const ProviderModel& p) -> std::unique_ptr<PostcardJournal> {
      auto& keeper = lease(PostgresPostcardJournal::LeaseName(p.name));
      return std::make_unique<PostgresPostcardJournal>(*m->pg_, p.name, keeper);
    };
    purge_lease = &lease("notify.purge");
  }
  auto senders = MakeSenders(config, clock, data_dir, journals);
  for (auto& keeper : m->leases_) keeper->Start();
  const int workers = config.workers;
  m->engine_ =
      std::make_unique<NotifyEngine>(clock, std::move(config), *m->store_, m->metrics_.get());
  // On PostgreSQL the providers' rates hold for every replica together (postgres_rate_budget.h);
  // on SQLite the one process paces itself.
  RateBudgetFactory budgets;
  if (m->pg_) {
    auto& grants = prometheus::BuildCounter()
                       .Name("csops_notify_rate_grants_total")
                       .Help("Runs of send slots this replica was granted by the database")
                       .Register(registry);
    budgets = [db = m->pg_.get(), &grants](const ProviderModel& p) {
      return std::make_unique<PostgresRateBudget>(*db, p.name, p.rate_per_second,
                                                  &grants.Add({{"provider", p.name}}));
    };
  }
  m->dispatcher_ = std::make_unique<Dispatcher>(*m->engine_, std::move(senders), workers,
                                                std::chrono::minutes(2), budgets);
  if (purge_lease)
    m->dispatcher_->OnlyPurgeWhile([purge_lease] { return purge_lease->held().has_value(); });
  if (Status s = m->dispatcher_->Start(); !s.ok()) return s.WithContext("dispatcher");
  m->executor_ = std::make_unique<boost::asio::thread_pool>(2);
  m->service_ = std::make_unique<NotifyService>(
      *m->engine_, *m->executor_, [metrics = m->metrics_.get()] { metrics->BatchStreamBroken(); });
  m->queue_collector_ = std::make_shared<NotifyQueueCollector>(*m->store_);
  return m;
}

NotifyModule::~NotifyModule() { Stop(); }

std::map<std::string, http::Handler> NotifyModule::receipt_routes() {
  return ReceiptRoutes(*engine_);
}

void NotifyModule::StartTaskRelay(const auth::ServiceTarget& case_target) {
  task_relay_ = std::make_unique<TaskRelay>(*engine_, case_target, *registry_);
  engine_->SetTaskHook([relay = task_relay_.get()] { relay->Wake(); });
  task_relay_->Start();
}

void NotifyModule::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (dispatcher_) dispatcher_->Stop();
  if (task_relay_) task_relay_->Stop();
  for (auto& keeper : leases_) keeper->Stop();  // hands the leases over at once
  if (executor_) executor_->join();
  if (db_) db_->Close();
  if (pg_) pg_->Close();
}

std::vector<auth::AccessRule> NotifyAccessRules() {
  using namespace config::v1;  // roles
  const std::string n = "/csops.notify.v1.NotifyService/";
  return {
      auth::RoleRule(n + "Send", {BILLING, SERVICE}),
      auth::RoleRule(n + "SendBatch", {BILLING}),
      auth::RoleRule(n + "GetNotification", {BILLING, SERVICE, SUPERVISOR}),
      auth::RoleRule(n + "ListNotifications", {BILLING, SUPERVISOR}),
      auth::RoleRule(n + "ReportDelivery", {BILLING, SERVICE}),
      auth::RoleRule(n + "SetPreferences", {BILLING, STAFF}),
      auth::RoleRule(n + "GetPreferences", {BILLING, STAFF}),
      auth::RoleRule(n + "StartPlan", {BILLING}),
      auth::RoleRule(n + "StopPlan", {BILLING}),
      auth::RoleRule(n + "GetNotifyReport", {SUPERVISOR}),
      auth::RoleRule("GET /receipts/", {SERVICE}),
      auth::RoleRule("POST /receipts/", {SERVICE}),
  };
}

}  // namespace csops::notify

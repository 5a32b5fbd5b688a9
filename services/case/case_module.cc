#include "services/case/case_module.h"

namespace csops::cases {

Result<std::unique_ptr<CaseModule>> CaseModule::Start(sqlite::DatabaseOptions db_options,
                                                      CaseConfig config, const Clock& clock,
                                                      std::string lookup_base_url) {
  std::unique_ptr<CaseModule> m(new CaseModule());
  db_options.migrations = SqliteCaseStore::Migrations();
  auto db = sqlite::Database::Open(std::move(db_options));
  if (!db.ok()) return db.status();
  m->db_ = std::move(*db);
  m->store_ = std::make_unique<SqliteCaseStore>(*m->db_);
  m->engine_ = std::make_unique<CaseEngine>(clock, std::move(config), *m->store_,
                                            std::move(lookup_base_url));
  m->executor_ = std::make_unique<boost::asio::thread_pool>(2);
  m->service_ = std::make_unique<CaseService>(*m->engine_, *m->executor_, clock);
  return m;
}

CaseModule::~CaseModule() { Stop(); }

void CaseModule::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (executor_) executor_->join();
  if (db_) db_->Close();
}

}  // namespace csops::cases

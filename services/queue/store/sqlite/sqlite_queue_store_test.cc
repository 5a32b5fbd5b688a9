// The QueueStore contract suite (store/queue_store_contract.h) on the SQLite store.
#include "services/queue/store/queue_store_contract.h"
#include "services/queue/store/sqlite/sqlite_queue_store_test_util.h"

namespace csops::queue {
namespace {

class SqliteUnderTest final : public QueueStoreUnderTest {
 public:
  QueueStore& store() override { return sqlite_.store(); }

 private:
  SqliteTestStore sqlite_;
};

INSTANTIATE_TEST_SUITE_P(Sqlite, QueueStoreContractTest,
                         ::testing::Values(QueueStoreFactory{
                             "Sqlite", [] { return std::make_unique<SqliteUnderTest>(); }}),
                         QueueStoreFactory::Name);

}  // namespace
}  // namespace csops::queue

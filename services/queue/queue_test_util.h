// Test helpers for the queue: a branch built in code, an engine on a temporary SQLite store,
// a listener that records committed changes, and blocking wrappers for the async commands.
#pragma once

#include <future>
#include <mutex>

#include "common/base/testutil.h"
#include "services/queue/queue_engine.h"
#include "services/queue/store/sqlite/sqlite_queue_store_test_util.h"

namespace csops::queue {

// Branch "test": services A, B, C (1-999, target 10 min, 300 s default service);
// counters "1" [A, B], "2" [B, A], "3" [C].
inline BranchModel TestBranch() {
  BranchModel b;
  b.id = "test";
  b.name_zh_tw = "測試處";
  absl::LoadTimeZone("Asia/Taipei", &b.zone);
  for (const char* code : {"A", "B", "C"}) {
    ServiceModel s;
    s.code = code;
    s.name_zh_tw = std::string("服務") + code;
    b.services.push_back(s);
  }
  b.counters = {
      {"1", "1號櫃台", {"A", "B"}}, {"2", "2號櫃台", {"B", "A"}}, {"3", "3號櫃台", {"C"}}};
  return b;
}

class RecordingListener : public QueueListener {
 public:
  void OnCommitted(const std::vector<QueueChange>& changes) override {
    std::lock_guard<std::mutex> lock(mu);
    all.insert(all.end(), changes.begin(), changes.end());
  }
  std::vector<QueueChange> Take() {
    std::lock_guard<std::mutex> lock(mu);
    return std::exchange(all, {});
  }
  std::mutex mu;
  std::vector<QueueChange> all;
};

class QueueFixture {
 public:
  explicit QueueFixture(BranchModel branch = TestBranch()) : clock(Taipei(2026, 3, 4, 9, 0)) {
    engine =
        std::make_unique<QueueEngine>(clock,
                                      std::vector<std::shared_ptr<const BranchModel>>{
                                          std::make_shared<const BranchModel>(std::move(branch))},
                                      sqlite.store(), listener);
  }

  Result<TicketView> Issue(const std::string& service, PriorityClass p = PriorityClass::kNormal,
                           std::string key = "", ContactKind kind = ContactKind::kNone,
                           std::string address = "") {
    if (key.empty()) key = "k" + std::to_string(++keys);
    IssueCommand c{"test", service, p, Channel::kKiosk, kind, address, key};
    return Await<TicketView>([&](auto done) { engine->Issue(c, done); });
  }
  Result<CounterView> Open(const std::string& counter, std::vector<std::string> services = {}) {
    return Await<CounterView>(
        [&](auto done) { engine->OpenCounter("test", counter, "E100", services, done); });
  }
  Result<CallResult> Call(const std::string& counter) {
    return Await<CallResult>([&](auto done) { engine->CallNext("test", counter, done); });
  }
  // Calls and returns the display number, or "" when nothing was waiting / on error.
  std::string CallNumber(const std::string& counter) {
    auto r = Call(counter);
    return r.ok() && r->called ? r->ticket.ticket.display : "";
  }
  Result<TicketView> Act(const std::string& what, const std::string& counter,
                         const std::string& number) {
    TicketCommand c{"test", counter, number};
    return Await<TicketView>([&](auto done) {
      if (what == "recall") engine->Recall(c, done);
      if (what == "start") engine->StartServing(c, done);
      if (what == "complete") engine->Complete(c, Outcome::kResolved, 5, done);
      if (what == "no_show") engine->MarkNoShow(c, done);
      if (what == "cancel") engine->Cancel(c, done);
      if (what == "requeue") engine->Requeue(c, done);
    });
  }
  // Calls, serves and completes whatever the counter gets next; returns its number.
  std::string Serve(const std::string& counter, Duration took = std::chrono::minutes(2)) {
    std::string n = CallNumber(counter);
    if (n.empty()) return n;
    EXPECT_OK(Act("start", counter, n).status());
    clock.Advance(took);
    EXPECT_OK(Act("complete", counter, n).status());
    return n;
  }

  FakeClock clock;
  RecordingListener listener;
  SqliteTestStore sqlite;
  std::unique_ptr<QueueEngine> engine;
  int keys = 0;
};

}  // namespace csops::queue

// PostgresCaseStore under concurrent transactions on several connections: what SQLite's one
// writer gives for free and the row locks of postgres_case_store.h must give here. Each test
// reads, then writes, as the engine does, so a missing lock shows as a duplicate, a gap or a
// lost update.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "services/case/store/postgres/postgres_case_store_test_util.h"

namespace csops::cases {
namespace {

using std::chrono::milliseconds;

// CreateCase's reads and writes: the key finds nothing, the next sequence names the case.
// Every seventh transaction fails after taking its sequence, which it must give back.
TEST(PostgresCaseConcurrencyTest, ParallelCreatesOnEightConnectionsGetConsecutiveSequences) {
  OwnedPostgresCaseStore pg(8);
  constexpr int kCreates = 240;
  std::vector<int> taken(kCreates, 0);  // by i: the sequence of its last run
  std::vector<Status> outcomes = WriteAll(pg, kCreates, [&](int i, CaseTx& tx) -> Status {
    const std::string key = "create-" + std::to_string(i);
    auto existing = tx.FindByIdempotencyKey(key);
    if (!existing.ok()) return existing.status();
    if (*existing) return Status::Internal("key " + key + " found before it was used");
    auto seq = tx.TakeSequence("north", "2026-02-12");
    if (!seq.ok()) return seq.status();
    taken[i] = *seq;
    auto id = tx.InsertCase(NewCase(*seq, key));
    if (!id.ok()) return id.status();
    CSOPS_RETURN_IF_ERROR(
        tx.AppendHistory(*id, {Taipei(2026, 2, 12, 9, 0), "staff:E1", history_kind::kCreated,
                               std::nullopt, CaseStatus::kAccepted, ""}));
    if (i % 7 == 3) return Status::FailedPrecondition("refused after its sequence");
    return Status();
  });
  std::vector<int> committed;
  for (int i = 0; i < kCreates; ++i) {
    if (i % 7 == 3) {
      EXPECT_EQ(outcomes[i].code(), StatusCode::kFailedPrecondition) << i;
      continue;
    }
    EXPECT_TRUE(outcomes[i].ok()) << i << ": " << outcomes[i].ToString();
    committed.push_back(taken[i]);
  }
  std::sort(committed.begin(), committed.end());
  std::vector<int> want(committed.size());
  for (std::size_t k = 0; k < want.size(); ++k) want[k] = static_cast<int>(k) + 1;
  EXPECT_EQ(committed, want) << "sequences have a gap or a duplicate";
  ASSERT_OK(pg.Read([&](CaseTx& tx) -> Status {
    auto cases = tx.ListCases({}, 0, 1000);
    if (!cases.ok()) return cases.status();
    EXPECT_EQ(cases->size(), want.size());
    return Status();
  }));
  Status look = Write(pg, [&](CaseTx& tx) -> Status {  // the counter row agrees
    auto next = tx.TakeSequence("north", "2026-02-12");
    if (!next.ok()) return next.status();
    EXPECT_EQ(*next, static_cast<int>(want.size()) + 1);
    return Status::FailedPrecondition("only looking");  // and gives it back
  });
  EXPECT_EQ(look.code(), StatusCode::kFailedPrecondition);
}

// Retried CreateCase calls with one key at once: the key's lock makes the later ones wait and
// find the first one's case, so none fails on the unique key and one case is created.
TEST(PostgresCaseConcurrencyTest, ParallelCreatesWithOneKeyCreateOneCase) {
  OwnedPostgresCaseStore pg(8);
  constexpr int kKeys = 5, kRetries = 8;
  std::vector<std::int64_t> ids(kKeys * kRetries, 0);
  std::vector<int> inserted(kKeys * kRetries, 0);
  std::vector<Status> outcomes = WriteAll(pg, kKeys * kRetries, [&](int i, CaseTx& tx) -> Status {
    const std::string key = "same-" + std::to_string(i % kKeys);
    inserted[i] = 0;
    auto existing = tx.FindByIdempotencyKey(key);
    if (!existing.ok()) return existing.status();
    if (*existing) {
      ids[i] = (*existing)->id;
      return Status();
    }
    auto seq = tx.TakeSequence("north", "2026-02-12");
    if (!seq.ok()) return seq.status();
    auto id = tx.InsertCase(NewCase(*seq, key));
    if (!id.ok()) return id.status();
    ids[i] = *id;
    inserted[i] = 1;
    return Status();
  });
  for (int k = 0; k < kKeys; ++k) {
    int created = 0;
    for (int i = k; i < kKeys * kRetries; i += kKeys) {
      EXPECT_TRUE(outcomes[i].ok()) << i << ": " << outcomes[i].ToString();
      created += inserted[i];
      EXPECT_EQ(ids[i], ids[k]) << "key " << k << " names two cases";
    }
    EXPECT_EQ(created, 1) << "key " << k;
  }
}

// Commands on one case at once: each reads the case, then saves what it computed from it
// (a count kept in resolution_ms) and appends a history row. The case's lock loses none.
TEST(PostgresCaseConcurrencyTest, ParallelTransitionsOfOneCaseLoseNoUpdate) {
  OwnedPostgresCaseStore pg(8);
  const CaseRecord c = NewCase(1, "k");
  const std::int64_t id = InsertOne(pg, c);
  ASSERT_GT(id, 0);
  constexpr int kCommands = 200;
  std::vector<Status> outcomes = WriteAll(pg, kCommands, [&](int, CaseTx& tx) -> Status {
    auto found = tx.FindByNumber(c.acceptance_number);
    if (!found.ok()) return found.status();
    if (!*found) return Status::NotFound("case " + c.acceptance_number);
    CaseRecord next = **found;
    next.resolution_ms = next.resolution_ms.value_or(0) + 1;
    next.status = *next.resolution_ms % 2 ? CaseStatus::kInProgress : CaseStatus::kWaitingCustomer;
    CSOPS_RETURN_IF_ERROR(tx.SaveCase(next));
    return tx.AppendHistory(next.id,
                            {Taipei(2026, 2, 13, 9, 0), "staff:E1", history_kind::kTransition,
                             (*found)->status, next.status, std::to_string(*next.resolution_ms)});
  });
  for (const Status& s : outcomes) EXPECT_OK(s);
  ASSERT_OK(pg.Read([&](CaseTx& tx) -> Status {
    auto found = tx.FindByNumber(c.acceptance_number);
    if (!found.ok()) return found.status();
    EXPECT_EQ((*found)->resolution_ms, kCommands) << "an update was lost";
    auto history = tx.History(id);
    if (!history.ok()) return history.status();
    EXPECT_EQ(history->size(), static_cast<std::size_t>(kCommands));
    for (std::size_t k = 0; k < history->size(); ++k) {
      EXPECT_EQ((*history)[k].note, std::to_string(k + 1)) << k;
      if (k > 0) {
        EXPECT_EQ((*history)[k].from, (*history)[k - 1].to) << k;
      }
    }
    return Status();
  }));
}

// Start-up's Recompute reads a batch of open cases and writes each, while commands change the
// same cases: OpenCasesAfter locks the batch and reads it again, so neither loses an update.
TEST(PostgresCaseConcurrencyTest, ABatchOfOpenCasesIsLockedAgainstCommandsOnItsCases) {
  OwnedPostgresCaseStore pg(8);
  constexpr int kCases = 20, kBatches = 6, kCommands = 120;
  std::vector<CaseRecord> cases;
  for (int i = 1; i <= kCases; ++i) {
    cases.push_back(NewCase(i, "k" + std::to_string(i)));
    ASSERT_GT(InsertOne(pg, cases.back()), 0);
  }
  std::vector<Status> outcomes =
      WriteAll(pg, kBatches + kCommands, [&](int i, CaseTx& tx) -> Status {
        std::vector<CaseRecord> batch;
        if (i < kBatches) {
          auto open = tx.OpenCasesAfter(0, 100, true);
          if (!open.ok()) return open.status();
          batch = std::move(*open);
        } else {
          auto found = tx.FindByNumber(cases[i % kCases].acceptance_number);
          if (!found.ok()) return found.status();
          batch.push_back(**found);
        }
        for (CaseRecord& c : batch) {
          c.resolution_ms = c.resolution_ms.value_or(0) + 1;
          CSOPS_RETURN_IF_ERROR(tx.SaveCase(c));
        }
        return Status();
      });
  for (const Status& s : outcomes) EXPECT_OK(s);
  std::int64_t total = 0;
  ASSERT_OK(pg.Read([&](CaseTx& tx) -> Status {
    auto all = tx.ListCases({}, 0, 100);
    if (!all.ok()) return all.status();
    for (const CaseRecord& c : *all) total += c.resolution_ms.value_or(0);
    return Status();
  }));
  EXPECT_EQ(total, kBatches * kCases + kCommands) << "an update was lost";
}

// Transactions on different cases fire SLA events at once while a reader follows the log by
// cursor, as WatchSlaEvents does. Every event it reads is the one after the last it read: an
// event that committed later with a lower cursor would show as a gap. Some transactions fail
// after recording theirs and give nothing back to the log. They go through TransactFiring, as
// CaseEngine's do: those share transactions under the cursor's lock instead of queueing on it.
TEST(PostgresCaseConcurrencyTest, SlaEventCursorsAreConsecutiveAndInCommitOrder) {
  OwnedPostgresCaseStore pg(8);
  constexpr int kCases = 16, kFirings = 320;
  std::vector<CaseRecord> cases;
  for (int i = 1; i <= kCases; ++i) {
    cases.push_back(NewCase(i, "k" + std::to_string(i)));
    cases.back().id = InsertOne(pg, cases.back());
    ASSERT_GT(cases.back().id, 0);
  }
  std::atomic<bool> writing{true};
  std::vector<std::int64_t> seen;
  std::vector<std::string> gaps;
  std::thread reader([&] {
    std::int64_t after = 0;
    for (bool last = false; !last;) {
      last = !writing.load();  // one more page after the writers are done
      Status s = pg.Read([&](CaseTx& tx) -> Status {
        auto page = tx.SlaEventsAfter(after, "", "", 1000);
        if (!page.ok()) return page.status();
        for (const SlaEventRow& e : *page) {
          if (e.cursor != after + 1)
            gaps.push_back("after " + std::to_string(after) + " came " + std::to_string(e.cursor));
          after = e.cursor;
          seen.push_back(e.cursor);
        }
        return Status();
      });
      if (!s.ok()) gaps.push_back(s.ToString());
    }
  });
  const Instant due = Taipei(2026, 2, 13, 16, 0);
  std::vector<Status> outcomes = WriteAll(
      pg, kFirings,
      [&](int i, CaseTx& tx) -> Status {
        const CaseRecord& c = cases[i % kCases];
        auto found = tx.FindByNumber(c.acceptance_number);
        if (!found.ok()) return found.status();
        auto fired =
            tx.RecordSlaEvent(c.id, "response", "warning_" + std::to_string(i), due, due, false);
        if (!fired.ok()) return fired.status();
        if (!*fired) return Status::Internal("event " + std::to_string(i) + " had fired before");
        if (i % 3 == 0) std::this_thread::sleep_for(milliseconds(1));  // commits later
        if (i % 11 == 5) return Status::FailedPrecondition("refused after firing");
        return Status();
      },
      /*firing=*/true);
  writing = false;
  reader.join();
  int committed = 0;
  for (int i = 0; i < kFirings; ++i) {
    if (i % 11 == 5) {
      EXPECT_EQ(outcomes[i].code(), StatusCode::kFailedPrecondition) << i;
    } else {
      EXPECT_TRUE(outcomes[i].ok()) << i << ": " << outcomes[i].ToString();
      ++committed;
    }
  }
  EXPECT_TRUE(gaps.empty()) << gaps.size()
                            << " gaps, the first: " << (gaps.empty() ? "" : gaps.front());
  ASSERT_EQ(seen.size(), static_cast<std::size_t>(committed));
  EXPECT_EQ(seen.back(), committed);
  ASSERT_OK(pg.Read([&](CaseTx& tx) -> Status {
    auto newest = tx.NewestSlaEventCursor();
    if (!newest.ok()) return newest.status();
    EXPECT_EQ(*newest, committed);
    return Status();
  }));
}

// One event recorded by two transactions at once: the second waits for the first to commit
// and records nothing; and so for eight at once.
TEST(PostgresCaseConcurrencyTest, AnEventRecordedByConcurrentTransactionsIsRecordedOnce) {
  OwnedPostgresCaseStore pg(8);
  CaseRecord c = NewCase(1, "k");
  c.id = InsertOne(pg, c);
  ASSERT_GT(c.id, 0);
  const Instant due = Taipei(2026, 2, 13, 16, 0);
  std::promise<void> first_recorded;
  std::once_flag once;
  std::promise<Status> first_done;
  std::atomic<int> first = -1, second = -1;  // 1: recorded, 0: had been
  pg.Transact(
      [&](CaseTx& tx) -> Status {
        auto fired = tx.RecordSlaEvent(c.id, "response", "breach", due, due, false);
        if (!fired.ok()) return fired.status();
        first = *fired ? 1 : 0;
        std::call_once(once, [&] { first_recorded.set_value(); });
        std::this_thread::sleep_for(milliseconds(200));  // the second one starts meanwhile
        return Status();
      },
      [&](const Status& s) { first_done.set_value(s); });
  first_recorded.get_future().wait();
  EXPECT_OK(Write(pg, [&](CaseTx& tx) -> Status {
    auto fired = tx.RecordSlaEvent(c.id, "response", "breach", due, due + milliseconds(5), true);
    if (!fired.ok()) return fired.status();
    second = *fired ? 1 : 0;
    return Status();
  }));
  EXPECT_OK(first_done.get_future().get());
  EXPECT_EQ(first.load(), 1);
  EXPECT_EQ(second.load(), 0);

  std::vector<int> recorded(8, 0);
  std::vector<Status> outcomes = WriteAll(pg, 8, [&](int i, CaseTx& tx) -> Status {
    auto fired = tx.RecordSlaEvent(c.id, "resolution", "missed", due, due, false);
    if (!fired.ok()) return fired.status();
    recorded[i] = *fired ? 1 : 0;
    return Status();
  });
  for (const Status& s : outcomes) EXPECT_OK(s);
  EXPECT_EQ(std::count(recorded.begin(), recorded.end(), 1), 1);
  ASSERT_OK(pg.Read([&](CaseTx& tx) -> Status {
    auto fired = tx.FiredSlaEvents(c.id);
    if (!fired.ok()) return fired.status();
    EXPECT_EQ(fired->size(), 2u);
    auto breach = tx.SlaEventCursor(c.id, "response", "breach");
    auto missed = tx.SlaEventCursor(c.id, "resolution", "missed");
    if (!breach.ok()) return breach.status();
    if (!missed.ok()) return missed.status();
    EXPECT_EQ(*breach, 1);
    EXPECT_EQ(*missed, 2);  // no cursor taken by the ones that recorded nothing
    auto events = tx.SlaEventsAfter(0, "", "", 10);
    if (!events.ok()) return events.status();
    EXPECT_EQ(events->size(), 2u);
    if (!events->empty()) {
      EXPECT_FALSE(events->front().late);  // the first transaction's row
    }
    return Status();
  }));
}

}  // namespace
}  // namespace csops::cases

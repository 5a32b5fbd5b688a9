#include "services/queue/store/queue_store_contract.h"

#include <future>

namespace csops::queue {

Status QueueStoreContractTest::Tx(QueueStore::TxFn fn) {
  std::promise<Status> p;
  store().Transact(std::move(fn), [&p](const Status& s) { p.set_value(s); });
  return p.get_future().get();
}

TicketRecord QueueStoreContractTest::Issue(const std::string& service, Instant at,
                                           PriorityClass priority, const std::string& branch,
                                           const std::string& day) {
  TicketRecord t;
  t.branch_id = branch;
  t.business_day = day;
  t.service_code = service;
  t.priority = priority;
  t.issued_at = at;
  t.queued_at = at;
  EXPECT_OK(Tx([&](QueueTx& tx) {
    auto sd = tx.TakeNumber(branch, day, service, 1);
    if (!sd.ok()) return sd.status();
    t.number = sd->last_number;
    t.display = service +
                std::string(t.number < 10    ? "00"
                            : t.number < 100 ? "0"
                                             : "") +
                std::to_string(t.number);
    auto id = tx.InsertTicket(t);
    if (!id.ok()) return id.status();
    t.id = *id;
    return Status();
  }));
  return t.id == 0 ? t : Stored(t.id);
}

TicketRecord QueueStoreContractTest::Stored(std::int64_t id) {
  std::optional<TicketRecord> found;
  EXPECT_OK(store().Read([&](QueueReader& r) {
    auto t = r.FindTicketById(id);
    if (!t.ok()) return t.status();
    found = *t;
    return Status();
  }));
  EXPECT_TRUE(found.has_value()) << "ticket " << id;
  return found.value_or(TicketRecord{});
}

TicketRecord QueueStoreContractTest::Save(const TicketRecord& before,
                                          const std::function<void(TicketRecord&)>& change) {
  TicketRecord after = before;
  change(after);
  EXPECT_OK(Tx([&](QueueTx& tx) { return tx.SaveTicket(before, after); }));
  return Stored(before.id);
}

ServiceDay QueueStoreContractTest::Day(const std::string& service, const std::string& branch,
                                       const std::string& day) {
  ServiceDay d;
  EXPECT_OK(store().Read([&](QueueReader& r) {
    auto got = r.GetServiceDay(branch, day, service);
    if (!got.ok()) return got.status();
    d = *got;
    return Status();
  }));
  return d;
}

NearTurnNotice QueueStoreContractTest::Notice(const TicketRecord& t, int ahead, Instant at) {
  NearTurnNotice n;
  n.branch_id = t.branch_id;
  n.ticket_id = t.id;
  n.ticket_display = t.display;
  n.business_day = t.business_day;
  n.people_ahead = ahead;
  n.contact_kind = ContactKind::kSms;
  n.contact_address = "0912345678";
  n.created_at = at;
  return n;
}

}  // namespace csops::queue

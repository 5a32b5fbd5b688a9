// The tests of notify_store_contract.h: what the engine may rely on of any NotifyStore. Here
// notifications, deliveries, attempts, claims and leases, the purge and the report rows; receipts,
// preferences, plans, tasks and rollback in notify_store_contract_state.cc.
#include "services/notify/store/notify_store_contract.h"

#include <set>

namespace csops::notify {

NotificationRecord NotifyStoreContract::Notice(const std::string& key, Instant at,
                                               const std::string& customer) {
  NotificationRecord n;
  n.idempotency_key = key;
  n.kind = "bill_unpaid";
  n.locale = "en";
  n.recipient = {customer,     "王小明",           "ming@example.com",
                 "0912345678", {"tok-1", "tok-2"}, {"台北市羅斯福路一段1號", "10001"}};
  n.variables = {{"amount", "1,234"}, {"month", "115年2月"}, {"note", "line 1\nline \"2\""}};
  n.urgent = true;
  n.fallback = true;
  n.accepted_at = at;
  n.plan_key = "unpaid_bill/bill-1/day0";
  n.request_fingerprint = std::string(64, 'a');
  return n;
}

DeliveryRecord NotifyStoreContract::Link(std::int64_t id, int position, Channel channel,
                                         DeliveryStatus status, Instant due) {
  DeliveryRecord d;
  d.notification_id = id;
  d.position = position;
  d.channel = channel;
  d.status = status;
  d.next_attempt_at = due;
  return d;
}

std::int64_t NotifyStoreContract::Insert(const NotificationRecord& n,
                                         const std::vector<DeliveryStatus>& statuses, Instant due,
                                         Channel channel) {
  auto id = Write([&](NotifyTx& tx) -> Result<std::int64_t> {
    auto nid = tx.InsertNotification(n);
    if (!nid.ok()) return nid;
    for (std::size_t i = 0; i < statuses.size(); ++i) {
      auto d = tx.InsertDelivery(Link(*nid, static_cast<int>(i), channel, statuses[i], due));
      if (!d.ok()) return d.status();
    }
    return nid;
  });
  EXPECT_OK(id.status());
  return id.ok() ? *id : 0;
}

namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

void ExpectSame(const NotificationRecord& want, const NotificationRecord& got) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.idempotency_key, want.idempotency_key);
  EXPECT_EQ(got.kind, want.kind);
  EXPECT_EQ(got.locale, want.locale);
  EXPECT_EQ(got.recipient, want.recipient);
  EXPECT_EQ(got.variables, want.variables);
  EXPECT_EQ(got.urgent, want.urgent);
  EXPECT_EQ(got.fallback, want.fallback);
  EXPECT_EQ(got.accepted_at, want.accepted_at);
  EXPECT_EQ(got.plan_key, want.plan_key);
  EXPECT_EQ(got.request_fingerprint, want.request_fingerprint);
}

void ExpectSame(const DeliveryRecord& want, const DeliveryRecord& got) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.notification_id, want.notification_id);
  EXPECT_EQ(got.position, want.position);
  EXPECT_EQ(got.channel, want.channel);
  EXPECT_EQ(got.status, want.status);
  EXPECT_EQ(got.attempts, want.attempts);
  EXPECT_EQ(got.next_attempt_at, want.next_attempt_at);
  EXPECT_EQ(got.provider, want.provider);
  EXPECT_EQ(got.provider_message_id, want.provider_message_id);
  EXPECT_EQ(got.last_error, want.last_error);
  EXPECT_EQ(got.sent_at, want.sent_at);
}

void ExpectSame(const AttemptRecord& want, const AttemptRecord& got) {
  EXPECT_EQ(got.delivery_id, want.delivery_id);
  EXPECT_EQ(got.at, want.at);
  EXPECT_EQ(got.channel, want.channel);
  EXPECT_EQ(got.provider, want.provider);
  EXPECT_EQ(got.result, want.result);
  EXPECT_EQ(got.provider_message_id, want.provider_message_id);
  EXPECT_EQ(got.latency_ms, want.latency_ms);
  EXPECT_EQ(got.error, want.error);
}

std::vector<std::int64_t> Ids(const std::vector<DeliveryRecord>& ds) {
  std::vector<std::int64_t> out;
  for (const DeliveryRecord& d : ds) out.push_back(d.id);
  return out;
}

TEST_P(NotifyStoreContract, NotificationsAreFoundByKeyAndReadBackWhole) {
  EXPECT_FALSE(Read([](NotifyTx& tx) { return tx.FindByKey("k-1"); })->has_value());
  NotificationRecord n = Notice("k-1", kT0);
  auto id = Write([&](NotifyTx& tx) { return tx.InsertNotification(n); });
  ASSERT_OK(id.status());
  EXPECT_GT(*id, 0);
  EXPECT_EQ(*Read([](NotifyTx& tx) { return tx.FindByKey("k-1"); }), *id);
  auto got = Read([&](NotifyTx& tx) { return tx.Notification(*id); });
  ASSERT_OK(got.status());
  ASSERT_TRUE(got->has_value());
  n.id = *id;
  ExpectSame(n, **got);

  // The fewest fields round-trip too, under an id of their own.
  NotificationRecord plain;
  plain.idempotency_key = "k-2";
  plain.kind = "bill_unpaid";
  plain.accepted_at = kT0;
  auto id2 = Write([&](NotifyTx& tx) { return tx.InsertNotification(plain); });
  ASSERT_OK(id2.status());
  EXPECT_NE(*id2, *id);
  plain.id = *id2;
  ExpectSame(plain, **Read([&](NotifyTx& tx) { return tx.Notification(*id2); }));
  EXPECT_FALSE(Read([&](NotifyTx& tx) { return tx.Notification(*id2 + 1000); })->has_value());

  // A key that is stored already fails the insert, and the transaction with it.
  auto dup = Write([&](NotifyTx& tx) -> Result<std::int64_t> {
    auto other = tx.InsertNotification(Notice("k-3", kT0));
    if (!other.ok()) return other;
    return tx.InsertNotification(Notice("k-1", kT0));
  });
  EXPECT_FALSE(dup.ok());
  EXPECT_FALSE(Read([](NotifyTx& tx) { return tx.FindByKey("k-3"); })->has_value());
  EXPECT_EQ(*Read([](NotifyTx& tx) { return tx.FindByKey("k-1"); }), *id);
}

TEST_P(NotifyStoreContract, DeliveriesAndAttemptsRoundTrip) {
  const std::int64_t id = Insert(Notice("k", kT0), {}, kT0);
  const std::int64_t other = Insert(Notice("other", kT0), {}, kT0);
  // Inserted out of order, read back by position; every field but the inserted ones starts empty.
  auto second = Write([&](NotifyTx& tx) {
    return tx.InsertDelivery(Link(id, 1, Channel::kSms, DeliveryStatus::kWaiting, kT0));
  });
  auto first = Write([&](NotifyTx& tx) {
    return tx.InsertDelivery(
        Link(id, 0, Channel::kEmail, DeliveryStatus::kPending, kT0 + seconds(1)));
  });
  ASSERT_OK(second.status());
  ASSERT_OK(first.status());
  EXPECT_NE(*first, *second);
  auto ds = Read([&](NotifyTx& tx) { return tx.Deliveries(id); });
  ASSERT_OK(ds.status());
  ASSERT_EQ(ds->size(), 2u);
  DeliveryRecord want = Link(id, 0, Channel::kEmail, DeliveryStatus::kPending, kT0 + seconds(1));
  want.id = *first;
  ExpectSame(want, (*ds)[0]);
  want = Link(id, 1, Channel::kSms, DeliveryStatus::kWaiting, kT0);
  want.id = *second;
  ExpectSame(want, (*ds)[1]);
  EXPECT_TRUE(Read([&](NotifyTx& tx) { return tx.Deliveries(other); })->empty());

  // SaveDelivery keeps every field; an absent sent_at stays absent.
  DeliveryRecord d = (*ds)[0];
  d.status = DeliveryStatus::kSent;
  d.attempts = 2;
  d.next_attempt_at = kT0 + minutes(5);
  d.provider = "mail";
  d.provider_message_id = "<m-1@example.com>";
  d.last_error = "SMTP 451 try later";
  d.sent_at = kT0 + seconds(3);
  ASSERT_OK(Write([&](NotifyTx& tx) { return tx.SaveDelivery(d); }));
  ExpectSame(d, **Read([&](NotifyTx& tx) { return tx.Delivery(d.id); }));
  DeliveryRecord unsent = d;
  unsent.status = DeliveryStatus::kFailed;
  unsent.sent_at.reset();
  ASSERT_OK(Write([&](NotifyTx& tx) { return tx.SaveDelivery(unsent); }));
  ExpectSame(unsent, **Read([&](NotifyTx& tx) { return tx.Delivery(d.id); }));
  EXPECT_FALSE(Read([&](NotifyTx& tx) { return tx.Delivery(*second + 1000); })->has_value());
  ASSERT_OK(Write([&](NotifyTx& tx) { return tx.SaveDelivery(d); }));

  // Found by the provider's id of the send, for that provider only.
  auto found = Read([](NotifyTx& tx) { return tx.FindByProviderId("mail", "<m-1@example.com>"); });
  ASSERT_OK(found.status());
  ASSERT_TRUE(found->has_value());
  ExpectSame(d, **found);
  EXPECT_FALSE(Read([](NotifyTx& tx) {
                 return tx.FindByProviderId("sms_a", "<m-1@example.com>");
               })->has_value());
  EXPECT_FALSE(Read([](NotifyTx& tx) {
                 return tx.FindByProviderId("mail", "<m-2@example.com>");
               })->has_value());

  // Attempts of all the notification's deliveries, in the order they were recorded.
  const std::vector<AttemptRecord> attempts = {
      {d.id, kT0 + seconds(1), Channel::kEmail, "mail", "transient", "", 120, "SMTP 451"},
      {*second, kT0 + seconds(2), Channel::kSms, "sms_a", "ok", "mitake-1", 80, ""},
      {d.id, kT0 + seconds(3), Channel::kEmail, "mail", "ok", "<m-1@example.com>", 95, ""}};
  for (const AttemptRecord& a : attempts)
    ASSERT_OK(Write([&](NotifyTx& tx) { return tx.InsertAttempt(a); }));
  auto got = Read([&](NotifyTx& tx) { return tx.Attempts(id); });
  ASSERT_OK(got.status());
  ASSERT_EQ(got->size(), attempts.size());
  for (std::size_t i = 0; i < attempts.size(); ++i) ExpectSame(attempts[i], (*got)[i]);
  EXPECT_TRUE(Read([&](NotifyTx& tx) { return tx.Attempts(other); })->empty());
}

TEST_P(NotifyStoreContract, ACustomersNotificationsAreListedNewestFirstInPages) {
  const std::int64_t a = Insert(Notice("a", kT0, "123"), {}, kT0);
  Insert(Notice("other", kT0, "456"), {}, kT0);
  const std::int64_t b = Insert(Notice("b", kT0, "123"), {}, kT0);
  Insert(Notice("anonymous", kT0, ""), {}, kT0);
  const std::int64_t c = Insert(Notice("c", kT0, "123"), {}, kT0);
  auto list = [&](const std::string& customer, std::int64_t before, int limit) {
    auto r = Read([&](NotifyTx& tx) { return tx.ListByCustomer(customer, before, limit); });
    EXPECT_OK(r.status());
    return r.ok() ? *r : std::vector<std::int64_t>{};
  };
  EXPECT_EQ(list("123", 0, 10), (std::vector<std::int64_t>{c, b, a}));
  EXPECT_EQ(list("123", 0, 2), (std::vector<std::int64_t>{c, b}));
  EXPECT_EQ(list("123", b, 2), (std::vector<std::int64_t>{a}));
  EXPECT_EQ(list("123", a, 2), (std::vector<std::int64_t>{}));
  EXPECT_EQ(list("", 0, 10), (std::vector<std::int64_t>{}));  // no customer: never listed
  EXPECT_EQ(list("999", 0, 10), (std::vector<std::int64_t>{}));
}

TEST_P(NotifyStoreContract, ClaimDueLeasesTheEarliestDuePendingDeliveries) {
  const std::int64_t n = Insert(Notice("k", kT0), {}, kT0);
  int position = 0;
  auto add = [&](DeliveryStatus status, Instant due) {
    auto id = Write([&](NotifyTx& tx) {
      return tx.InsertDelivery(Link(n, position++, Channel::kEmail, status, due));
    });
    EXPECT_OK(id.status());
    return id.ok() ? *id : 0;
  };
  const std::int64_t b = add(DeliveryStatus::kPending, kT0 - seconds(1));
  const std::int64_t a = add(DeliveryStatus::kPending, kT0 - seconds(2));
  const std::int64_t c = add(DeliveryStatus::kPending, kT0 + minutes(1));
  for (DeliveryStatus s :
       {DeliveryStatus::kWaiting, DeliveryStatus::kSent, DeliveryStatus::kDelivered,
        DeliveryStatus::kFailed, DeliveryStatus::kCancelled})
    add(s, kT0 - seconds(10));  // not pending: never claimed
  const Instant lease = kT0 + minutes(2);
  // At most `limit`, the earliest due first.
  auto claimed = Write([&](NotifyTx& tx) { return tx.ClaimDue(kT0, lease, 1); });
  ASSERT_OK(claimed.status());
  EXPECT_EQ(Ids(*claimed), (std::vector<std::int64_t>{a}));
  auto more = Write([&](NotifyTx& tx) { return tx.ClaimDue(kT0, lease, 10); });
  ASSERT_OK(more.status());
  EXPECT_EQ(Ids(*more), (std::vector<std::int64_t>{b}));
  claimed->push_back(more->at(0));
  for (const DeliveryRecord& d : *claimed) {
    EXPECT_EQ(d.status, DeliveryStatus::kPending);
    EXPECT_EQ(d.next_attempt_at, lease);  // the lease's end
    EXPECT_EQ(Read([&](NotifyTx& tx) { return tx.Delivery(d.id); }).value()->next_attempt_at,
              lease);
  }
  // Leased: not claimed again until the lease ends.
  EXPECT_TRUE(Write([&](NotifyTx& tx) { return tx.ClaimDue(kT0, lease, 10); })->empty());
  EXPECT_EQ(Ids(*Write([&](NotifyTx& tx) {
              return tx.ClaimDue(kT0 + minutes(1), lease + minutes(5), 10);
            })),
            (std::vector<std::int64_t>{c}));
  // A lease that ended (its worker died) is due again.
  auto again = Write([&](NotifyTx& tx) { return tx.ClaimDue(lease, lease + minutes(2), 10); });
  ASSERT_OK(again.status());
  const std::vector<std::int64_t> ids = Ids(*again);
  EXPECT_EQ(std::set<std::int64_t>(ids.begin(), ids.end()), (std::set<std::int64_t>{a, b}));
}

TEST_P(NotifyStoreContract, ReleaseLeasesMakesDeliveriesStillLeasedDueAtOnce) {
  Insert(Notice("k", kT0),
         {DeliveryStatus::kPending, DeliveryStatus::kPending, DeliveryStatus::kPending},
         kT0 - seconds(1));
  const std::int64_t later =
      Insert(Notice("later", kT0), {DeliveryStatus::kPending}, kT0 + hours(1));
  EXPECT_EQ(*Write([](NotifyTx& tx) { return tx.ReleaseLeases(kT0); }), 0);
  auto claimed = Write([](NotifyTx& tx) { return tx.ClaimDue(kT0, kT0 + minutes(2), 10); });
  ASSERT_OK(claimed.status());
  ASSERT_EQ(claimed->size(), 3u);
  std::map<int, DeliveryRecord> by_position;
  for (const DeliveryRecord& d : *claimed) by_position[d.position] = d;
  // Saved after its attempt, a delivery is no longer leased: sent, or pending for a retry.
  DeliveryRecord sent = by_position.at(1);
  sent.status = DeliveryStatus::kSent;
  sent.sent_at = kT0;
  DeliveryRecord retry = by_position.at(2);
  retry.attempts = 1;
  retry.next_attempt_at = kT0 + minutes(10);
  ASSERT_OK(Write([&](NotifyTx& tx) -> Status {
    CSOPS_RETURN_IF_ERROR(tx.SaveDelivery(sent));
    return tx.SaveDelivery(retry);
  }));
  EXPECT_EQ(*Write([](NotifyTx& tx) { return tx.ReleaseLeases(kT0 + seconds(1)); }), 1);
  auto next_of = [&](std::int64_t id) {
    return Read([&](NotifyTx& tx) { return tx.Delivery(id); }).value()->next_attempt_at;
  };
  EXPECT_EQ(next_of(by_position.at(0).id), kT0 + seconds(1));
  EXPECT_EQ(next_of(retry.id), kT0 + minutes(10));
  auto later_ds = Read([&](NotifyTx& tx) { return tx.Deliveries(later); });
  ASSERT_EQ(later_ds->size(), 1u);
  EXPECT_EQ((*later_ds)[0].next_attempt_at, kT0 + hours(1));
  EXPECT_EQ(
      Ids(*Write([](NotifyTx& tx) { return tx.ClaimDue(kT0 + seconds(1), kT0 + minutes(3), 10); })),
      (std::vector<std::int64_t>{by_position.at(0).id}));
  EXPECT_EQ(*Write([](NotifyTx& tx) { return tx.ReleaseLeases(kT0 + seconds(2)); }), 1);
  EXPECT_EQ(*Write([](NotifyTx& tx) { return tx.ReleaseLeases(kT0 + seconds(3)); }), 0);
}

TEST_P(NotifyStoreContract, NextDueIsTheEarliestInstantOfAPendingDelivery) {
  auto next = [&] {
    auto r = Read([](NotifyTx& tx) { return tx.NextDue(); });
    EXPECT_OK(r.status());
    return r.ok() ? *r : std::nullopt;
  };
  EXPECT_EQ(next(), std::nullopt);
  Insert(Notice("done", kT0),
         {DeliveryStatus::kWaiting, DeliveryStatus::kSent, DeliveryStatus::kFailed,
          DeliveryStatus::kCancelled, DeliveryStatus::kDelivered},
         kT0 - hours(1));
  EXPECT_EQ(next(), std::nullopt);  // only pending deliveries come due
  Insert(Notice("ten", kT0), {DeliveryStatus::kPending}, kT0 + minutes(10));
  Insert(Notice("five", kT0), {DeliveryStatus::kPending}, kT0 + minutes(5));
  EXPECT_EQ(next(), kT0 + minutes(5));
  // A leased delivery comes due again at the end of its lease.
  ASSERT_EQ(
      Write([](NotifyTx& tx) { return tx.ClaimDue(kT0 + minutes(5), kT0 + hours(1), 1); })->size(),
      1u);
  EXPECT_EQ(next(), kT0 + minutes(10));
  ASSERT_EQ(Write([](NotifyTx& tx) {
              return tx.ClaimDue(kT0 + minutes(10), kT0 + minutes(30), 1);
            })->size(),
            1u);
  EXPECT_EQ(next(), kT0 + minutes(30));
}

TEST_P(NotifyStoreContract, PurgeForgetsFinishedNotificationsAndKeepsTheirReportRows) {
  const Instant t0 = Taipei(2026, 6, 1, 10, 0);
  const Instant old = t0 - kDay * 40;
  const std::int64_t done = Insert(Notice("done", old), {DeliveryStatus::kPending}, old);
  DeliveryRecord sent = Read([&](NotifyTx& tx) { return tx.Deliveries(done); }).value().at(0);
  sent.status = DeliveryStatus::kSent;
  sent.sent_at = old + seconds(10);
  ASSERT_OK(Write([&](NotifyTx& tx) -> Status {
    CSOPS_RETURN_IF_ERROR(tx.SaveDelivery(sent));
    return tx.InsertAttempt(
        {sent.id, old + seconds(10), Channel::kEmail, "mail", "ok", "m", 9, ""});
  }));
  const std::int64_t pending = Insert(Notice("pending", old), {DeliveryStatus::kPending}, old);
  const std::int64_t waiting =
      Insert(Notice("waiting", old), {DeliveryStatus::kFailed, DeliveryStatus::kWaiting}, old);
  const std::int64_t recent =
      Insert(Notice("recent", t0 - kDay), {DeliveryStatus::kSent}, t0 - kDay);
  const std::int64_t failed = Insert(Notice("failed", old + seconds(1)),
                                     {DeliveryStatus::kFailed, DeliveryStatus::kCancelled}, old);
  const Instant cutoff = t0 - kDay * 30;
  auto purge = [&](Instant before, int limit) {
    auto r = Write([&](NotifyTx& tx) { return tx.PurgeBefore(before, limit); });
    EXPECT_OK(r.status());
    return r.ok() ? *r : -1;
  };
  EXPECT_EQ(purge(cutoff, 1), 1);  // at most `limit`
  EXPECT_EQ(purge(cutoff, 100), 1);
  EXPECT_EQ(purge(cutoff, 100), 0);  // their report rows are not purged again
  const std::vector<std::pair<std::string, std::int64_t>> purged = {{"done", done},
                                                                    {"failed", failed}};
  for (const auto& entry : purged) {
    // Named copies: clang 14 cannot capture structured bindings in lambdas.
    const std::string& key = entry.first;
    const std::int64_t id = entry.second;
    EXPECT_FALSE(Read([&](NotifyTx& tx) { return tx.FindByKey(key); })->has_value()) << key;
    EXPECT_FALSE(Read([&](NotifyTx& tx) { return tx.Notification(id); })->has_value()) << key;
    EXPECT_TRUE(Read([&](NotifyTx& tx) { return tx.Deliveries(id); })->empty()) << key;
    EXPECT_TRUE(Read([&](NotifyTx& tx) { return tx.Attempts(id); })->empty()) << key;
  }
  for (const char* key : {"pending", "waiting", "recent"})
    EXPECT_TRUE(Read([&](NotifyTx& tx) { return tx.FindByKey(key); })->has_value()) << key;

  // The report still sees the purged ones, by notification and position, without their
  // personal data (a NoticeRow has none).
  auto rows_of = [&] {
    auto r = Read([&](NotifyTx& tx) { return tx.NoticeRows(old - kDay, t0); });
    EXPECT_OK(r.status());
    return r.ok() ? *r : std::vector<NoticeRow>{};
  };
  using Row = std::pair<std::int64_t, DeliveryStatus>;
  auto summary = [](const std::vector<NoticeRow>& rows) {
    std::vector<Row> out;
    for (const NoticeRow& row : rows) out.emplace_back(row.notification_id, row.status);
    return out;
  };
  const std::vector<NoticeRow> rows = rows_of();
  EXPECT_EQ(summary(rows), (std::vector<Row>{{done, DeliveryStatus::kSent},
                                             {pending, DeliveryStatus::kPending},
                                             {waiting, DeliveryStatus::kFailed},
                                             {waiting, DeliveryStatus::kWaiting},
                                             {recent, DeliveryStatus::kSent},
                                             {failed, DeliveryStatus::kFailed},
                                             {failed, DeliveryStatus::kCancelled}}));
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0].kind, "bill_unpaid");
  EXPECT_EQ(rows[0].channel, Channel::kEmail);
  EXPECT_EQ(rows[0].accepted_at, old);
  EXPECT_EQ(rows[0].sent_at, old + seconds(10));

  // A later purge drops report rows accepted more than kHistoryDays before its cutoff.
  const Instant much_later = old + hours(24 * NotifyTx::kHistoryDays) + Duration(1);
  EXPECT_EQ(purge(much_later, 100), 1);  // "recent"
  EXPECT_EQ(summary(rows_of()), (std::vector<Row>{{pending, DeliveryStatus::kPending},
                                                  {waiting, DeliveryStatus::kFailed},
                                                  {waiting, DeliveryStatus::kWaiting},
                                                  {recent, DeliveryStatus::kSent},
                                                  {failed, DeliveryStatus::kFailed},
                                                  {failed, DeliveryStatus::kCancelled}}));
}

TEST_P(NotifyStoreContract, NoticeRowsAreTheDeliveriesOfNotificationsAcceptedInTheHalfOpenPeriod) {
  const Instant from = kT0, to = kT0 + kDay;
  Insert(Notice("before", from - Duration(1)), {DeliveryStatus::kSent}, from);
  const std::int64_t first =
      Insert(Notice("first", from), {DeliveryStatus::kPending, DeliveryStatus::kWaiting}, from,
             Channel::kSms);
  const std::int64_t last =
      Insert(Notice("last", to - Duration(1)), {DeliveryStatus::kPending}, from);
  Insert(Notice("after", to), {DeliveryStatus::kSent}, from);
  DeliveryRecord d = Read([&](NotifyTx& tx) { return tx.Deliveries(last); }).value().at(0);
  d.status = DeliveryStatus::kDelivered;
  d.sent_at = to - Duration(1) + seconds(4);
  ASSERT_OK(Write([&](NotifyTx& tx) { return tx.SaveDelivery(d); }));
  auto rows = Read([&](NotifyTx& tx) { return tx.NoticeRows(from, to); });
  ASSERT_OK(rows.status());
  ASSERT_EQ(rows->size(), 3u);
  const NoticeRow& a = (*rows)[0];
  EXPECT_EQ(a.notification_id, first);
  EXPECT_EQ(a.kind, "bill_unpaid");
  EXPECT_EQ(a.channel, Channel::kSms);
  EXPECT_EQ(a.status, DeliveryStatus::kPending);
  EXPECT_EQ(a.accepted_at, from);
  EXPECT_EQ(a.sent_at, std::nullopt);
  EXPECT_EQ((*rows)[1].notification_id, first);
  EXPECT_EQ((*rows)[1].status, DeliveryStatus::kWaiting);
  const NoticeRow& c = (*rows)[2];
  EXPECT_EQ(c.notification_id, last);
  EXPECT_EQ(c.channel, Channel::kEmail);
  EXPECT_EQ(c.status, DeliveryStatus::kDelivered);
  EXPECT_EQ(c.accepted_at, to - Duration(1));
  EXPECT_EQ(c.sent_at, to - Duration(1) + seconds(4));
  EXPECT_TRUE(Read([&](NotifyTx& tx) { return tx.NoticeRows(to + kDay, to + kDay * 2); })->empty());
}

TEST_P(NotifyStoreContract, QueueDepthCountsPendingAndWaitingDeliveriesPerChannel) {
  using Depth = std::map<std::string, std::int64_t>;
  EXPECT_EQ(*Read([](NotifyTx& tx) { return tx.QueueDepth(); }), Depth{});
  Insert(Notice("a", kT0),
         {DeliveryStatus::kPending, DeliveryStatus::kWaiting, DeliveryStatus::kSent}, kT0,
         Channel::kEmail);
  Insert(Notice("b", kT0),
         {DeliveryStatus::kPending, DeliveryStatus::kFailed, DeliveryStatus::kCancelled,
          DeliveryStatus::kDelivered},
         kT0, Channel::kSms);
  Insert(Notice("c", kT0), {DeliveryStatus::kWaiting}, kT0, Channel::kPostcard);
  Insert(Notice("d", kT0), {DeliveryStatus::kSent}, kT0, Channel::kVoice);
  EXPECT_EQ(*Read([](NotifyTx& tx) { return tx.QueueDepth(); }),
            (Depth{{std::string(ChannelName(Channel::kEmail)), 2},
                   {std::string(ChannelName(Channel::kSms)), 1},
                   {std::string(ChannelName(Channel::kPostcard)), 1}}));
}

}  // namespace
}  // namespace csops::notify

#include "services/notify/store/sqlite/sqlite_notify_store.h"

#include <nlohmann/json.hpp>

namespace csops::notify {

using sqlite::Connection;
using sqlite::Statement;
using Json = nlohmann::json;

namespace {

constexpr char kDeliveryColumns[] =
    "id, notification_id, position, channel, status, attempts, next_attempt_at, provider, "
    "provider_message_id, last_error, sent_at";

Result<DeliveryRecord> ReadDelivery(const Statement& st) {
  DeliveryRecord d;
  d.id = st.ColumnInt(0);
  d.notification_id = st.ColumnInt(1);
  d.position = static_cast<int>(st.ColumnInt(2));
  auto ch = ParseChannel(st.ColumnText(3));
  auto status = ParseDeliveryStatus(st.ColumnText(4));
  if (!ch || !status) return Status::Internal("delivery with an unknown channel or status");
  d.channel = *ch;
  d.status = *status;
  d.attempts = static_cast<int>(st.ColumnInt(5));
  d.next_attempt_at = FromUnixMillis(st.ColumnInt(6));
  d.provider = st.ColumnText(7);
  d.provider_message_id = st.ColumnText(8);
  d.last_error = st.ColumnText(9);
  if (!st.ColumnIsNull(10)) d.sent_at = FromUnixMillis(st.ColumnInt(10));
  return d;
}

template <typename T, typename F>
Result<std::vector<T>> All(Result<Statement>& st, F read) {
  if (!st.ok()) return st.status();
  std::vector<T> out;
  for (;;) {
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return out;
    auto item = read(*st);
    if (!item.ok()) return item.status();
    out.push_back(std::move(*item));
  }
}

std::string RecipientJson(const RecipientRecord& r) {
  return Json{{"customer_number", r.customer_number},
              {"name", r.name},
              {"email", r.email},
              {"mobile", r.mobile},
              {"push_tokens", r.push_tokens},
              {"postal_address", r.postal_address}}
      .dump();
}

RecipientRecord ParseRecipient(const std::string& text) {
  const Json j = Json::parse(text, nullptr, false);
  RecipientRecord r;
  if (!j.is_object()) return r;
  r.customer_number = j.value("customer_number", "");
  r.name = j.value("name", "");
  r.email = j.value("email", "");
  r.mobile = j.value("mobile", "");
  r.push_tokens = j.value("push_tokens", std::vector<std::string>{});
  r.postal_address = j.value("postal_address", std::vector<std::string>{});
  return r;
}

class SqliteNotifyTx final : public NotifyTx {
 public:
  explicit SqliteNotifyTx(Connection& c) : c_(c) {}

  Result<std::optional<std::int64_t>> FindByKey(const std::string& key) override {
    auto st = c_.PrepareCached("SELECT id FROM notifications WHERE idempotency_key=?");
    if (!st.ok()) return st.status();
    st->Bind(1, key);
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return std::optional<std::int64_t>();
    return std::optional<std::int64_t>(st->ColumnInt(0));
  }

  Result<std::int64_t> InsertNotification(const NotificationRecord& n) override {
    auto st = c_.PrepareCached(
        "INSERT INTO notifications(idempotency_key, kind, locale, customer_number, recipient, "
        "variables, urgent, fallback, accepted_at, plan_key, request_fingerprint) "
        "VALUES(?,?,?,?,?,?,?,?,?,?,?)");
    if (!st.ok()) return st.status();
    st->Bind(1, n.idempotency_key).Bind(2, n.kind).Bind(3, n.locale);
    st->Bind(4, n.recipient.customer_number).Bind(5, RecipientJson(n.recipient));
    st->Bind(6, Json(n.variables).dump()).Bind(7, n.urgent ? 1 : 0).Bind(8, n.fallback ? 1 : 0);
    st->Bind(9, ToUnixMillis(n.accepted_at)).Bind(10, n.plan_key);
    st->Bind(11, n.request_fingerprint);
    CSOPS_RETURN_IF_ERROR(st->Run());
    return c_.LastInsertRowId();
  }

  Result<std::int64_t> InsertDelivery(const DeliveryRecord& d) override {
    auto st = c_.PrepareCached(
        "INSERT INTO deliveries(notification_id, position, channel, status, next_attempt_at) "
        "VALUES(?,?,?,?,?)");
    if (!st.ok()) return st.status();
    st->Bind(1, d.notification_id).Bind(2, d.position).Bind(3, ChannelName(d.channel));
    st->Bind(4, DeliveryStatusName(d.status)).Bind(5, ToUnixMillis(d.next_attempt_at));
    CSOPS_RETURN_IF_ERROR(st->Run());
    return c_.LastInsertRowId();
  }

  Result<std::optional<NotificationRecord>> Notification(std::int64_t id) override {
    auto st = c_.PrepareCached(
        "SELECT id, idempotency_key, kind, locale, recipient, variables, urgent, fallback, "
        "accepted_at, plan_key, request_fingerprint FROM notifications WHERE id=?");
    if (!st.ok()) return st.status();
    st->Bind(1, id);
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return std::optional<NotificationRecord>();
    NotificationRecord n;
    n.id = st->ColumnInt(0);
    n.idempotency_key = st->ColumnText(1);
    n.kind = st->ColumnText(2);
    n.locale = st->ColumnText(3);
    n.recipient = ParseRecipient(st->ColumnText(4));
    const Json vars = Json::parse(st->ColumnText(5), nullptr, false);
    if (vars.is_object())
      for (const auto& [k, v] : vars.items())
        if (v.is_string()) n.variables[k] = v.get<std::string>();
    n.urgent = st->ColumnInt(6) != 0;
    n.fallback = st->ColumnInt(7) != 0;
    n.accepted_at = FromUnixMillis(st->ColumnInt(8));
    n.plan_key = st->ColumnText(9);
    n.request_fingerprint = st->ColumnText(10);
    return std::optional<NotificationRecord>(std::move(n));
  }

  Result<std::vector<DeliveryRecord>> Deliveries(std::int64_t notification_id) override {
    auto st = c_.PrepareCached(std::string("SELECT ") + kDeliveryColumns +
                               " FROM deliveries WHERE notification_id=? ORDER BY position");
    if (st.ok()) st->Bind(1, notification_id);
    return All<DeliveryRecord>(st, ReadDelivery);
  }

  Result<std::vector<AttemptRecord>> Attempts(std::int64_t notification_id) override {
    auto st = c_.PrepareCached(
        "SELECT a.delivery_id, a.at, a.channel, a.provider, a.result, a.provider_message_id, "
        "a.latency_ms, a.error FROM attempts a JOIN deliveries d ON d.id = a.delivery_id "
        "WHERE d.notification_id=? ORDER BY a.id");
    if (st.ok()) st->Bind(1, notification_id);
    return All<AttemptRecord>(st, [](const Statement& s) -> Result<AttemptRecord> {
      AttemptRecord a;
      a.delivery_id = s.ColumnInt(0);
      a.at = FromUnixMillis(s.ColumnInt(1));
      a.channel = ParseChannel(s.ColumnText(2)).value_or(Channel::kEmail);
      a.provider = s.ColumnText(3);
      a.result = s.ColumnText(4);
      a.provider_message_id = s.ColumnText(5);
      a.latency_ms = s.ColumnInt(6);
      a.error = s.ColumnText(7);
      return a;
    });
  }

  Result<std::vector<std::int64_t>> ListByCustomer(const std::string& customer,
                                                   std::int64_t before_id, int limit) override {
    auto st = c_.PrepareCached(
        "SELECT id FROM notifications WHERE customer_number=?1 AND customer_number != '' AND "
        "(?2 = 0 OR id < ?2) ORDER BY id DESC LIMIT ?3");
    if (st.ok()) st->Bind(1, customer).Bind(2, before_id).Bind(3, limit);
    return All<std::int64_t>(
        st, [](const Statement& s) -> Result<std::int64_t> { return s.ColumnInt(0); });
  }

  Result<std::vector<DeliveryRecord>> ClaimDue(Instant now, Instant lease_end, int limit) override {
    auto st = c_.PrepareCached(
        std::string(
            "UPDATE deliveries SET next_attempt_at=?1, leased=1 WHERE id IN (SELECT id FROM "
            "deliveries WHERE status='pending' AND next_attempt_at<=?2 ORDER BY "
            "next_attempt_at LIMIT ?3) RETURNING ") +
        kDeliveryColumns);
    if (st.ok()) st->Bind(1, ToUnixMillis(lease_end)).Bind(2, ToUnixMillis(now)).Bind(3, limit);
    return All<DeliveryRecord>(st, ReadDelivery);
  }

  Result<std::optional<DeliveryRecord>> Delivery(std::int64_t id) override {
    auto st =
        c_.PrepareCached(std::string("SELECT ") + kDeliveryColumns + " FROM deliveries WHERE id=?");
    if (st.ok()) st->Bind(1, id);
    auto all = All<DeliveryRecord>(st, ReadDelivery);
    if (!all.ok()) return all.status();
    if (all->empty()) return std::optional<DeliveryRecord>();
    return std::optional<DeliveryRecord>(std::move(all->front()));
  }

  Status SaveDelivery(const DeliveryRecord& d) override {
    auto st = c_.PrepareCached(
        "UPDATE deliveries SET status=?, attempts=?, next_attempt_at=?, provider=?, "
        "provider_message_id=?, last_error=?, sent_at=?, leased=0 WHERE id=?");
    if (!st.ok()) return st.status();
    st->Bind(1, DeliveryStatusName(d.status)).Bind(2, d.attempts);
    st->Bind(3, ToUnixMillis(d.next_attempt_at)).Bind(4, d.provider);
    st->Bind(5, d.provider_message_id).Bind(6, d.last_error);
    if (d.sent_at) {
      st->Bind(7, ToUnixMillis(*d.sent_at));
    } else {
      st->BindNull(7);
    }
    return st->Bind(8, d.id).Run();
  }

  Status InsertAttempt(const AttemptRecord& a) override {
    auto st = c_.PrepareCached(
        "INSERT INTO attempts(delivery_id, at, channel, provider, result, provider_message_id, "
        "latency_ms, error) VALUES(?,?,?,?,?,?,?,?)");
    if (!st.ok()) return st.status();
    st->Bind(1, a.delivery_id).Bind(2, ToUnixMillis(a.at)).Bind(3, ChannelName(a.channel));
    st->Bind(4, a.provider).Bind(5, a.result).Bind(6, a.provider_message_id);
    return st->Bind(7, a.latency_ms).Bind(8, a.error).Run();
  }

  Result<int> ReleaseLeases(Instant now) override {
    auto st = c_.PrepareCached(
        "UPDATE deliveries SET next_attempt_at=?, leased=0 WHERE leased=1 AND status='pending'");
    if (!st.ok()) return st.status();
    CSOPS_RETURN_IF_ERROR(st->Bind(1, ToUnixMillis(now)).Run());
    return c_.Changes();
  }

  Result<std::optional<Instant>> NextDue() override {
    auto st =
        c_.PrepareCached("SELECT min(next_attempt_at) FROM deliveries WHERE status='pending'");
    if (!st.ok()) return st.status();
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row || st->ColumnIsNull(0)) return std::optional<Instant>();
    return std::optional<Instant>(FromUnixMillis(st->ColumnInt(0)));
  }

  Result<std::optional<DeliveryRecord>> FindByProviderId(const std::string& provider,
                                                         const std::string& message_id) override {
    auto st = c_.PrepareCached(std::string("SELECT ") + kDeliveryColumns +
                               " FROM deliveries WHERE provider=? AND provider_message_id=?");
    if (st.ok()) st->Bind(1, provider).Bind(2, message_id);
    auto all = All<DeliveryRecord>(st, ReadDelivery);
    if (!all.ok()) return all.status();
    if (all->empty()) return std::optional<DeliveryRecord>();
    return std::optional<DeliveryRecord>(std::move(all->front()));
  }

  Status SaveEarlyReceipt(const std::string& provider, const std::string& message_id,
                          const EarlyReceipt& r) override {
    auto st = c_.PrepareCached(
        "INSERT INTO early_receipts(provider, provider_message_id, delivered, detail, received_at) "
        "VALUES(?,?,?,?,?) ON CONFLICT DO UPDATE SET delivered=excluded.delivered, "
        "detail=excluded.detail, received_at=excluded.received_at");
    if (!st.ok()) return st.status();
    st->Bind(1, provider).Bind(2, message_id).Bind(3, r.delivered ? 1 : 0).Bind(4, r.detail);
    return st->Bind(5, ToUnixMillis(r.received_at)).Run();
  }

  Result<std::optional<EarlyReceipt>> TakeEarlyReceipt(const std::string& provider,
                                                       const std::string& message_id) override {
    auto st = c_.PrepareCached(
        "DELETE FROM early_receipts WHERE provider=? AND provider_message_id=? "
        "RETURNING delivered, detail, received_at");
    if (!st.ok()) return st.status();
    st->Bind(1, provider).Bind(2, message_id);
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return std::optional<EarlyReceipt>();
    EarlyReceipt r{st->ColumnInt(0) != 0, st->ColumnText(1), FromUnixMillis(st->ColumnInt(2))};
    CSOPS_RETURN_IF_ERROR(st->Run());
    return std::optional<EarlyReceipt>(r);
  }

  Result<std::optional<PreferencesRecord>> Preferences(const std::string& customer) override {
    auto st = c_.PrepareCached(
        "SELECT opted_out, quiet_start, quiet_end FROM preferences WHERE customer_number=?");
    if (!st.ok()) return st.status();
    st->Bind(1, customer);
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return std::optional<PreferencesRecord>();
    PreferencesRecord p;
    p.customer_number = customer;
    const std::string list = st->ColumnText(0);
    std::size_t start = 0;
    while (start < list.size()) {
      std::size_t comma = list.find(',', start);
      if (comma == std::string::npos) comma = list.size();
      if (auto c = ParseChannel(list.substr(start, comma - start))) p.opted_out.push_back(*c);
      start = comma + 1;
    }
    if (!st->ColumnIsNull(1) && !st->ColumnIsNull(2))
      p.quiet = QuietHours{static_cast<int>(st->ColumnInt(1)), static_cast<int>(st->ColumnInt(2))};
    return std::optional<PreferencesRecord>(std::move(p));
  }

  Status SavePreferences(const PreferencesRecord& p) override {
    auto st = c_.PrepareCached(
        "INSERT INTO preferences(customer_number, opted_out, quiet_start, quiet_end) "
        "VALUES(?,?,?,?) ON CONFLICT DO UPDATE SET opted_out=excluded.opted_out, "
        "quiet_start=excluded.quiet_start, quiet_end=excluded.quiet_end");
    if (!st.ok()) return st.status();
    std::string list;
    for (Channel c : p.opted_out) list += (list.empty() ? "" : ",") + std::string(ChannelName(c));
    st->Bind(1, p.customer_number).Bind(2, list);
    if (p.quiet) {
      st->Bind(3, p.quiet->start_minute).Bind(4, p.quiet->end_minute);
    } else {
      st->BindNull(3).BindNull(4);
    }
    return st->Run();
  }

  Status PruneToken(const std::string& token, Instant at) override {
    auto st = c_.PrepareCached(
        "INSERT INTO pruned_tokens(token, pruned_at) VALUES(?,?) ON CONFLICT DO NOTHING");
    if (!st.ok()) return st.status();
    return st->Bind(1, token).Bind(2, ToUnixMillis(at)).Run();
  }

  Result<bool> TokenPruned(const std::string& token) override {
    auto st = c_.PrepareCached("SELECT 1 FROM pruned_tokens WHERE token=?");
    if (!st.ok()) return st.status();
    st->Bind(1, token);
    auto row = st->Step();
    if (!row.ok()) return row.status();
    return *row;
  }

  Result<std::optional<PlanRunRecord>> PlanRun(const std::string& plan,
                                               const std::string& key) override {
    auto st = c_.PrepareCached(
        "SELECT status, recipient, locale, variables, started_at, stop_reason FROM plan_runs "
        "WHERE plan=? AND key=?");
    if (!st.ok()) return st.status();
    st->Bind(1, plan).Bind(2, key);
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) return std::optional<PlanRunRecord>();
    PlanRunRecord r;
    r.plan = plan;
    r.key = key;
    auto status = ParsePlanRunStatus(st->ColumnText(0));
    if (!status) return Status::Internal("plan run with an unknown status");
    r.status = *status;
    r.recipient = ParseRecipient(st->ColumnText(1));
    r.locale = st->ColumnText(2);
    const Json vars = Json::parse(st->ColumnText(3), nullptr, false);
    if (vars.is_object())
      for (const auto& [k, v] : vars.items())
        if (v.is_string()) r.variables[k] = v.get<std::string>();
    r.started_at = FromUnixMillis(st->ColumnInt(4));
    r.stop_reason = st->ColumnText(5);
    return std::optional<PlanRunRecord>(std::move(r));
  }

  Status SavePlanRun(const PlanRunRecord& r) override {
    auto st = c_.PrepareCached(
        "INSERT INTO plan_runs(plan, key, status, recipient, locale, variables, started_at, "
        "stop_reason) VALUES(?,?,?,?,?,?,?,?) ON CONFLICT(plan, key) DO UPDATE SET "
        "status=excluded.status, stop_reason=excluded.stop_reason");
    if (!st.ok()) return st.status();
    st->Bind(1, r.plan).Bind(2, r.key).Bind(3, PlanRunStatusName(r.status));
    st->Bind(4, RecipientJson(r.recipient));
    st->Bind(5, r.locale).Bind(6, Json(r.variables).dump()).Bind(7, ToUnixMillis(r.started_at));
    return st->Bind(8, r.stop_reason).Run();
  }

  static Result<PlanStepRecord> ReadStep(const Statement& st) {
    PlanStepRecord s;
    s.plan = st.ColumnText(0);
    s.key = st.ColumnText(1);
    s.index = static_cast<int>(st.ColumnInt(2));
    s.name = st.ColumnText(3);
    s.due_at = FromUnixMillis(st.ColumnInt(4));
    auto status = ParsePlanStepStatus(st.ColumnText(5));
    if (!status) return Status::Internal("plan step with an unknown status");
    s.status = *status;
    s.notification_id = st.ColumnInt(6);
    return s;
  }

  Result<std::vector<PlanStepRecord>> PlanSteps(const std::string& plan,
                                                const std::string& key) override {
    auto st = c_.PrepareCached(
        "SELECT plan, key, step_index, name, due_at, status, notification_id FROM plan_steps "
        "WHERE plan=? AND key=? ORDER BY step_index");
    if (st.ok()) st->Bind(1, plan).Bind(2, key);
    return All<PlanStepRecord>(st, ReadStep);
  }

  Status SavePlanStep(const PlanStepRecord& s) override {
    auto st = c_.PrepareCached(
        "INSERT INTO plan_steps(plan, key, step_index, name, due_at, status, notification_id) "
        "VALUES(?,?,?,?,?,?,?) ON CONFLICT(plan, key, step_index) DO UPDATE SET "
        "status=excluded.status, notification_id=excluded.notification_id, "
        "due_at=excluded.due_at");
    if (!st.ok()) return st.status();
    st->Bind(1, s.plan).Bind(2, s.key).Bind(3, s.index).Bind(4, s.name);
    st->Bind(5, ToUnixMillis(s.due_at)).Bind(6, PlanStepStatusName(s.status));
    st->Bind(7, s.notification_id);
    return st->Run();
  }

  Result<std::vector<PlanStepRecord>> DueSteps(Instant now, int limit) override {
    auto st = c_.PrepareCached(
        "SELECT plan, key, step_index, name, due_at, status, notification_id FROM plan_steps "
        "WHERE status='pending' AND due_at<=? ORDER BY due_at LIMIT ?");
    if (st.ok()) st->Bind(1, ToUnixMillis(now)).Bind(2, limit);
    return All<PlanStepRecord>(st, ReadStep);
  }

  Result<std::optional<Instant>> NextStepDue() override {
    auto st = c_.PrepareCached("SELECT min(due_at) FROM plan_steps WHERE status='pending'");
    if (!st.ok()) return st.status();
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row || st->ColumnIsNull(0)) return std::optional<Instant>();
    return std::optional<Instant>(FromUnixMillis(st->ColumnInt(0)));
  }

  Status InsertTask(const TaskRecord& t) override {
    auto st = c_.PrepareCached(
        "INSERT INTO plan_tasks(idempotency_key, case_type, branch_id, customer_number, name, "
        "summary) VALUES(?,?,?,?,?,?) ON CONFLICT(idempotency_key) DO NOTHING");
    if (!st.ok()) return st.status();
    st->Bind(1, t.idempotency_key).Bind(2, t.case_type).Bind(3, t.branch_id);
    return st->Bind(4, t.customer_number).Bind(5, t.name).Bind(6, t.summary).Run();
  }

  Result<std::vector<TaskRecord>> PendingTasks(int limit) override {
    auto st = c_.PrepareCached(
        "SELECT id, idempotency_key, case_type, branch_id, customer_number, name, summary "
        "FROM plan_tasks WHERE relayed_at IS NULL ORDER BY id LIMIT ?");
    if (st.ok()) st->Bind(1, limit);
    return All<TaskRecord>(st, [](const Statement& s) -> Result<TaskRecord> {
      return TaskRecord{s.ColumnInt(0),  s.ColumnText(1), s.ColumnText(2), s.ColumnText(3),
                        s.ColumnText(4), s.ColumnText(5), s.ColumnText(6)};
    });
  }

  Status MarkTaskRelayed(std::int64_t id, Instant at, const std::string& refusal) override {
    auto st = c_.PrepareCached(
        "UPDATE plan_tasks SET relayed_at=?, relay_error=? WHERE id=? AND relayed_at IS NULL");
    if (!st.ok()) return st.status();
    return st->Bind(1, ToUnixMillis(at)).Bind(2, refusal).Bind(3, id).Run();
  }

  Result<int> PurgeBefore(Instant cutoff, int limit) override {
    auto pick = c_.PrepareCached(
        "SELECT id FROM notifications n WHERE accepted_at < ? AND NOT EXISTS (SELECT 1 FROM "
        "deliveries d WHERE d.notification_id = n.id AND d.status IN ('pending','waiting')) "
        "ORDER BY id LIMIT ?");
    if (!pick.ok()) return pick.status();
    pick->Bind(1, ToUnixMillis(cutoff)).Bind(2, limit);
    std::vector<std::int64_t> ids;
    for (;;) {
      auto row = pick->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      ids.push_back(pick->ColumnInt(0));
    }
    for (std::int64_t id : ids) {
      for (const char* sql :
           {"INSERT OR IGNORE INTO delivery_history(notification_id, position, kind, channel, "
            "status, accepted_at, sent_at) SELECT n.id, d.position, n.kind, d.channel, d.status, "
            "n.accepted_at, d.sent_at FROM notifications n JOIN deliveries d ON "
            "d.notification_id = n.id WHERE n.id = ?",
            "DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE "
            "notification_id = ?)",
            "DELETE FROM deliveries WHERE notification_id = ?",
            "DELETE FROM notifications WHERE id = ?"}) {
        auto st = c_.PrepareCached(sql);
        if (!st.ok()) return st.status();
        CSOPS_RETURN_IF_ERROR(st->Bind(1, id).Run());
      }
    }
    auto old = c_.PrepareCached("DELETE FROM delivery_history WHERE accepted_at < ?");
    if (!old.ok()) return old.status();
    CSOPS_RETURN_IF_ERROR(
        old->Bind(1, ToUnixMillis(cutoff - std::chrono::hours(24 * kHistoryDays))).Run());
    return static_cast<int>(ids.size());
  }

  Result<std::vector<NoticeRow>> NoticeRows(Instant from, Instant to) override {
    auto st = c_.PrepareCached(
        "SELECT n.id, n.kind, d.channel, d.status, n.accepted_at, d.sent_at, d.position FROM "
        "notifications n JOIN deliveries d ON d.notification_id = n.id WHERE n.accepted_at >= ?1 "
        "AND n.accepted_at < ?2 UNION ALL SELECT notification_id, kind, channel, status, "
        "accepted_at, sent_at, position FROM delivery_history WHERE accepted_at >= ?1 AND "
        "accepted_at < ?2 ORDER BY 1, 7");
    if (!st.ok()) return st.status();
    st->Bind(1, ToUnixMillis(from)).Bind(2, ToUnixMillis(to));
    std::vector<NoticeRow> out;
    for (;;) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) return out;
      NoticeRow r;
      r.notification_id = st->ColumnInt(0);
      r.kind = st->ColumnText(1);
      auto ch = ParseChannel(st->ColumnText(2));
      auto status = ParseDeliveryStatus(st->ColumnText(3));
      if (!ch || !status) return Status::Internal("delivery with an unknown channel or status");
      r.channel = *ch;
      r.status = *status;
      r.accepted_at = FromUnixMillis(st->ColumnInt(4));
      if (!st->ColumnIsNull(5)) r.sent_at = FromUnixMillis(st->ColumnInt(5));
      out.push_back(std::move(r));
    }
  }

  Result<std::map<std::string, std::int64_t>> QueueDepth() override {
    auto st = c_.PrepareCached(
        "SELECT channel, count(*) FROM deliveries WHERE status IN ('pending','waiting') "
        "GROUP BY channel");
    if (!st.ok()) return st.status();
    std::map<std::string, std::int64_t> out;
    for (;;) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) return out;
      out[st->ColumnText(0)] = st->ColumnInt(1);
    }
  }

 private:
  Connection& c_;
};

}  // namespace

void SqliteNotifyStore::Transact(std::function<Status(NotifyTx&)> fn,
                                 std::function<void(const Status&)> done) {
  db_.WriteAsync(
      [fn = std::move(fn)](Connection& c) {
        SqliteNotifyTx tx(c);
        return fn(tx);
      },
      std::move(done));
}

Status SqliteNotifyStore::Read(const std::function<Status(NotifyTx&)>& fn) {
  return db_.Read([&fn](Connection& c) {
    CSOPS_RETURN_IF_ERROR(c.Exec("BEGIN"));
    SqliteNotifyTx tx(c);
    Status s = fn(tx);
    c.Exec("COMMIT");
    return s;
  });
}

}  // namespace csops::notify

// The PostgreSQL notify store, continued: preferences, pruned tokens, plan runs and steps, staff
// tasks, and the JSON text of recipients and variables.
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>
#include <utility>

#include "services/notify/store/postgres/postgres_notify_tx.h"

namespace csops::notify::pgstore {

using postgres::Params;
using Json = nlohmann::json;

namespace {

Status Done(const Result<int>& r) { return r.ok() ? Status::Ok() : r.status(); }

const std::string kStepColumns = "plan, key, step_index, name, due_at, status, notification_id";

}  // namespace

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

std::string VariablesJson(const std::map<std::string, std::string>& v) { return Json(v).dump(); }

std::map<std::string, std::string> ParseVariables(const std::string& text) {
  std::map<std::string, std::string> out;
  const Json vars = Json::parse(text, nullptr, false);
  if (vars.is_object())
    for (const auto& [k, v] : vars.items())
      if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

Result<std::optional<PreferencesRecord>> PostgresNotifyTx::Preferences(
    const std::string& customer) {
  auto r =
      Query("SELECT opted_out, quiet_start, quiet_end FROM preferences WHERE customer_number = $1",
            {customer});
  if (!r.ok()) return r.status();
  if (r->empty()) return std::optional<PreferencesRecord>();
  PreferencesRecord p;
  p.customer_number = customer;
  const std::string list = r->Text(0, 0);
  std::size_t start = 0;
  while (start < list.size()) {
    std::size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    const std::string name = list.substr(start, comma - start);
    auto c = ParseChannel(name);
    if (!c)
      return Status::Internal("preferences of customer " + customer +
                              ": opted_out names an unknown channel '" + name + "'");
    p.opted_out.push_back(*c);
    start = comma + 1;
  }
  if (!r->IsNull(0, 1) && !r->IsNull(0, 2))
    p.quiet = QuietHours{static_cast<int>(r->Int(0, 1)), static_cast<int>(r->Int(0, 2))};
  return std::optional<PreferencesRecord>(std::move(p));
}

Status PostgresNotifyTx::SavePreferences(const PreferencesRecord& p) {
  std::string list;
  for (Channel c : p.opted_out) list += (list.empty() ? "" : ",") + std::string(ChannelName(c));
  postgres::Value start = std::nullopt, end = std::nullopt;
  if (p.quiet) {
    start = p.quiet->start_minute;
    end = p.quiet->end_minute;
  }
  return Done(
      Run("INSERT INTO preferences(customer_number, opted_out, quiet_start, quiet_end) "
          "VALUES($1, $2, $3, $4) ON CONFLICT (customer_number) DO UPDATE SET "
          "opted_out = excluded.opted_out, quiet_start = excluded.quiet_start, "
          "quiet_end = excluded.quiet_end",
          {p.customer_number, list, start, end}));
}

Status PostgresNotifyTx::PruneToken(const std::string& token, Instant at) {
  return Done(Run(
      "INSERT INTO pruned_tokens(token, pruned_at) VALUES($1, $2) ON CONFLICT (token) DO NOTHING",
      {token, ToUnixMillis(at)}));
}

Result<bool> PostgresNotifyTx::TokenPruned(const std::string& token) {
  auto r = Query("SELECT 1 FROM pruned_tokens WHERE token = $1", {token});
  if (!r.ok()) return r.status();
  return !r->empty();
}

Result<std::optional<PlanRunRecord>> PostgresNotifyTx::PlanRun(const std::string& plan,
                                                               const std::string& key) {
  // Every write of the run and its steps follows this read in the same transaction.
  CSOPS_RETURN_IF_ERROR(Lock("plan_run", plan + "/" + key));
  auto r = Query(
      "SELECT status, recipient, locale, variables, started_at, stop_reason FROM plan_runs "
      "WHERE plan = $1 AND key = $2",
      {plan, key});
  if (!r.ok()) return r.status();
  if (r->empty()) return std::optional<PlanRunRecord>();
  PlanRunRecord run;
  run.plan = plan;
  run.key = key;
  auto status = ParsePlanRunStatus(r->Text(0, 0));
  if (!status)
    return Status::Internal("plan run " + plan + "/" + key + ": unknown status '" + r->Text(0, 0) +
                            "'");
  run.status = *status;
  run.recipient = ParseRecipient(r->Text(0, 1));
  run.locale = r->Text(0, 2);
  run.variables = ParseVariables(r->Text(0, 3));
  run.started_at = FromUnixMillis(r->Int(0, 4));
  run.stop_reason = r->Text(0, 5);
  return std::optional<PlanRunRecord>(std::move(run));
}

Status PostgresNotifyTx::SavePlanRun(const PlanRunRecord& r) {
  return Done(
      Run("INSERT INTO plan_runs(plan, key, status, recipient, locale, variables, started_at, "
          "stop_reason) VALUES($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (plan, key) DO UPDATE "
          "SET status = excluded.status, stop_reason = excluded.stop_reason",
          {r.plan, r.key, PlanRunStatusName(r.status), RecipientJson(r.recipient), r.locale,
           VariablesJson(r.variables), ToUnixMillis(r.started_at), r.stop_reason}));
}

Result<std::vector<PlanStepRecord>> PostgresNotifyTx::StepRows(const std::string& sql,
                                                               const Params& params) {
  auto r = Query(sql, params);
  if (!r.ok()) return r.status();
  std::vector<PlanStepRecord> out;
  for (int i = 0; i < r->size(); ++i) {
    PlanStepRecord s;
    s.plan = r->Text(i, 0);
    s.key = r->Text(i, 1);
    s.index = static_cast<int>(r->Int(i, 2));
    s.name = r->Text(i, 3);
    s.due_at = FromUnixMillis(r->Int(i, 4));
    auto status = ParsePlanStepStatus(r->Text(i, 5));
    if (!status)
      return Status::Internal("plan step " + s.plan + "/" + s.key + "/" + std::to_string(s.index) +
                              ": unknown status '" + r->Text(i, 5) + "'");
    s.status = *status;
    s.notification_id = r->Int(i, 6);
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<PlanStepRecord>> PostgresNotifyTx::PlanSteps(const std::string& plan,
                                                                const std::string& key) {
  // No lock of its own: the engine reads a run's steps after the run (PlanRun locks it).
  return StepRows("SELECT " + kStepColumns +
                      " FROM plan_steps WHERE plan = $1 AND key = $2 ORDER BY step_index",
                  {plan, key});
}

Status PostgresNotifyTx::SavePlanStep(const PlanStepRecord& s) {
  return Done(
      Run("INSERT INTO plan_steps(plan, key, step_index, name, due_at, status, notification_id) "
          "VALUES($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (plan, key, step_index) DO UPDATE SET "
          "status = excluded.status, notification_id = excluded.notification_id, "
          "due_at = excluded.due_at",
          {s.plan, s.key, s.index, s.name, ToUnixMillis(s.due_at), PlanStepStatusName(s.status),
           s.notification_id}));
}

Result<std::vector<PlanStepRecord>> PostgresNotifyTx::DueSteps(Instant now, int limit) {
  const std::string sql = "SELECT " + kStepColumns +
                          " FROM plan_steps WHERE status = 'pending' AND due_at <= $1 "
                          "ORDER BY due_at, plan, key, step_index LIMIT $2";
  const Params params = {ToUnixMillis(now), limit};
  auto found = StepRows(sql, params);
  if (!found.ok() || !locking_ || found->empty()) return found;
  // The engine acts on these steps after PlanRun locks their run: lock the runs first, in
  // plan/key order (no two callers wait on each other in a circle), then keep what is still
  // pending now that nobody else can change it.
  std::set<std::pair<std::string, std::string>> runs;
  std::set<std::tuple<std::string, std::string, int>> steps;
  for (const PlanStepRecord& s : *found) {
    runs.emplace(s.plan, s.key);
    steps.emplace(s.plan, s.key, s.index);
  }
  for (const auto& run : runs)
    CSOPS_RETURN_IF_ERROR(Lock("plan_run", run.first + "/" + run.second));
  auto again = StepRows(sql, params);
  if (!again.ok()) return again.status();
  std::erase_if(*again, [&](const PlanStepRecord& s) {
    return !steps.contains(std::make_tuple(s.plan, s.key, s.index));
  });
  return again;
}

Result<std::optional<Instant>> PostgresNotifyTx::NextStepDue() {
  auto r = Query("SELECT MIN(due_at) FROM plan_steps WHERE status = 'pending'", {});
  if (!r.ok()) return r.status();
  if (r->IsNull(0, 0)) return std::optional<Instant>();
  return std::optional<Instant>(FromUnixMillis(r->Int(0, 0)));
}

Status PostgresNotifyTx::InsertTask(const TaskRecord& t) {
  return Done(
      Run("INSERT INTO plan_tasks(idempotency_key, case_type, branch_id, customer_number, name, "
          "summary) VALUES($1, $2, $3, $4, $5, $6) ON CONFLICT (idempotency_key) DO NOTHING",
          {t.idempotency_key, t.case_type, t.branch_id, t.customer_number, t.name, t.summary}));
}

Result<std::vector<TaskRecord>> PostgresNotifyTx::PendingTasks(int limit) {
  auto r = Query(
      "SELECT id, idempotency_key, case_type, branch_id, customer_number, name, summary "
      "FROM plan_tasks WHERE relayed_at IS NULL ORDER BY id LIMIT $1",
      {limit});
  if (!r.ok()) return r.status();
  std::vector<TaskRecord> out;
  for (int i = 0; i < r->size(); ++i)
    out.push_back({r->Int(i, 0), r->Text(i, 1), r->Text(i, 2), r->Text(i, 3), r->Text(i, 4),
                   r->Text(i, 5), r->Text(i, 6)});
  return out;
}

Status PostgresNotifyTx::MarkTaskRelayed(std::int64_t id, Instant at, const std::string& refusal) {
  // Conditional: a task marked before keeps its first mark.
  return Done(
      Run("UPDATE plan_tasks SET relayed_at = $1, relay_error = $2 WHERE id = $3 AND "
          "relayed_at IS NULL",
          {ToUnixMillis(at), refusal, id}));
}

}  // namespace csops::notify::pgstore

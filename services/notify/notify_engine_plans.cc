// Escalation plans of the notify engine: starting and stopping a run, running the steps that
// are due (a notice or a staff task each) and the staff tasks waiting for their relay.
#include <algorithm>
#include <future>
#include <memory>

#include "common/base/text.h"
#include "common/grpc/time_check.h"
#include "services/notify/notify_engine.h"
#include "services/notify/notify_engine_internal.h"

namespace csops::notify {
namespace {

using internal::CheckRecipient;
using internal::CheckVariables;
using internal::Reachable;

constexpr TextLimit kStopReason{false, 200, Lines::kMulti};

}  // namespace

Result<PreparedSend> NotifyEngine::StepSend(const PlanModel& plan, const PlanStepModel& step,
                                            const PlanRunRecord& run) const {
  SendCommand c;
  c.idempotency_key = "plan:" + plan.name + ":" + run.key + ":" + step.name;
  c.kind = step.kind;
  c.locale = run.locale;
  c.recipient = run.recipient;
  c.variables = run.variables;
  c.mode = PolicyMode::kExplicit;
  for (Channel ch : step.channels)
    if (Reachable(run.recipient, ch)) c.channels.push_back(ch);
  if (c.channels.empty())
    return Status::InvalidArgument("recipient: step '" + step.name +
                                   "' needs a contact for one of its channels");
  c.plan_key = plan.name + "/" + run.key + "/" + step.name;
  return Prepare(std::move(c));
}

Result<std::vector<PlanStepRecord>> NotifyEngine::Schedule(const PlanModel& plan,
                                                           const PlanRunRecord& run) const {
  std::vector<PlanStepRecord> out;
  for (std::size_t i = 0; i < plan.steps.size(); ++i) {
    const PlanStepModel& step = plan.steps[i];
    Instant due = run.started_at + std::chrono::hours(24 * step.delay_days);
    if (!step.after_variable.empty()) {
      auto v = run.variables.find(step.after_variable);
      const std::string field = "variables." + step.after_variable;
      if (v == run.variables.end())
        return Status::InvalidArgument(field + ": a date YYYY-MM-DD is required by step '" +
                                       step.name + "'");
      auto date = CheckDate(field, v->second);
      if (!date.ok())
        return Status::InvalidArgument(date.status().message() + " (required by step '" +
                                       step.name + "')");
      absl::CivilDay day = *date;
      day += step.delay_days;
      // 09:00 local on that day: a notice or a task for office hours.
      due = FromUnixMillis(absl::ToUnixMillis(absl::FromCivil(
          absl::CivilMinute(day.year(), day.month(), day.day(), 9, 0), config_.zone)));
    }
    if (step.kind.empty()) {
      auto branch = run.variables.find("branch_id");
      if (branch == run.variables.end() || branch->second.empty())
        return Status::InvalidArgument("variables.branch_id: required by step '" + step.name +
                                       "' (a staff task in a branch)");
    } else {
      // Variables are checked now; a channel the customer cannot be reached on is skipped
      // when the step runs (outcome "skipped"), so later steps and tasks still happen.
      const auto& kind = config_.kinds.at(step.kind);
      auto tmpl = kind.templates.find(run.locale);
      if (tmpl == kind.templates.end())
        return Status::InvalidArgument("locale: must be zh-TW or en");
      if (auto r = Render(tmpl->second, run.variables); !r.ok()) return r.status();
    }
    out.push_back(
        {plan.name, run.key, static_cast<int>(i), step.name, due, PlanStepStatus::kPending, 0});
  }
  return out;
}

void NotifyEngine::StartPlan(StartPlanCommand cmd, Done<PlanView> done) {
  auto plan = config_.plans.find(cmd.plan);
  if (cmd.plan.empty()) return done(Status::InvalidArgument("plan: must not be empty"));
  if (plan == config_.plans.end())
    return done(Status::InvalidArgument("plan: " + Quote(cmd.plan) + " is not configured"));
  if (Status s = CheckIdempotencyKey("key", cmd.key); !s.ok()) return done(s);
  if (cmd.locale.empty()) cmd.locale = "zh-TW";
  if (cmd.locale != "zh-TW" && cmd.locale != "en")
    return done(Status::InvalidArgument("locale: must be zh-TW or en"));
  if (Status s = CheckRecipient(cmd.recipient); !s.ok()) return done(s);
  if (Status s = CheckVariables(cmd.variables); !s.ok()) return done(s);
  PlanRunRecord run{cmd.plan,      cmd.key,    PlanRunStatus::kRunning,
                    cmd.recipient, cmd.locale, cmd.variables,
                    clock_.Now(),  ""};
  auto steps = Schedule(plan->second, run);
  if (!steps.ok()) return done(steps.status());
  auto out = std::make_shared<PlanView>();
  store_.Transact(
      [this, out, run, steps = *steps](NotifyTx& tx) mutable -> Status {
        auto existing = tx.PlanRun(run.plan, run.key);
        if (!existing.ok()) return existing.status();
        if (*existing) {
          const PlanRunRecord& first = **existing;
          if (first.recipient != run.recipient || first.locale != run.locale ||
              first.variables != run.variables)
            return Status::AlreadyExists("key: '" + run.key + "' already started plan " + run.plan +
                                         " with a different recipient, locale or variables; "
                                         "use a new key for a new run");
          if ((*existing)->status != PlanRunStatus::kRunning)
            return Status::FailedPrecondition("plan " + run.plan + " for key " + Quote(run.key) +
                                              " is " +
                                              std::string(PlanRunStatusName((*existing)->status)) +
                                              "; a new run needs a new key");
          auto old = tx.PlanSteps(run.plan, run.key);
          if (!old.ok()) return old.status();
          *out = {**existing, *old};
          return Status();
        }
        run.started_at = clock_.Now();
        CSOPS_RETURN_IF_ERROR(tx.SavePlanRun(run));
        for (const PlanStepRecord& s : steps) CSOPS_RETURN_IF_ERROR(tx.SavePlanStep(s));
        *out = {run, steps};
        return Status();
      },
      [this, out, done = std::move(done)](const Status& s) {
        if (!s.ok()) return done(s);
        if (wake_) wake_();
        done(std::move(*out));
      });
}

void NotifyEngine::StopPlan(std::string plan, std::string key, std::string reason,
                            Done<PlanView> done) {
  if (plan.empty() || key.empty())
    return done(Status::InvalidArgument("plan, key: must not be empty"));
  if (Status s = CheckText("reason", reason, kStopReason); !s.ok()) return done(s);
  auto out = std::make_shared<PlanView>();
  auto cancelled = std::make_shared<std::vector<std::string>>();
  store_.Transact(
      [out, cancelled, plan, key, reason](NotifyTx& tx) -> Status {
        cancelled->clear();
        auto run = tx.PlanRun(plan, key);
        if (!run.ok()) return run.status();
        if (!*run) return Status::NotFound("no plan " + Quote(plan) + " for key " + Quote(key));
        auto steps = tx.PlanSteps(plan, key);
        if (!steps.ok()) return steps.status();
        if ((*run)->status == PlanRunStatus::kRunning) {
          (*run)->status = PlanRunStatus::kStopped;
          (*run)->stop_reason = reason;
          CSOPS_RETURN_IF_ERROR(tx.SavePlanRun(**run));
          for (PlanStepRecord& s : *steps)
            if (s.status == PlanStepStatus::kPending) {
              s.status = PlanStepStatus::kCancelled;
              cancelled->push_back(s.name);
              CSOPS_RETURN_IF_ERROR(tx.SavePlanStep(s));
            }
        }
        *out = {**run, *steps};
        return Status();
      },
      [this, out, cancelled, done = std::move(done)](const Status& s) {
        if (!s.ok()) return done(s);
        if (observer_)
          for (const std::string& step : *cancelled)
            observer_->PlanStep(out->run.plan, step, "cancelled");
        done(std::move(*out));
      });
}

Result<PlanView> NotifyEngine::GetPlan(const std::string& plan, const std::string& key) {
  PlanView out;
  Status s = store_.Read([&](NotifyTx& tx) {
    auto run = tx.PlanRun(plan, key);
    if (!run.ok()) return run.status();
    if (!*run) return Status::NotFound("no plan " + Quote(plan) + " for key " + Quote(key));
    auto steps = tx.PlanSteps(plan, key);
    if (!steps.ok()) return steps.status();
    out = {**run, *steps};
    return Status();
  });
  if (!s.ok()) return s;
  return out;
}

Result<int> NotifyEngine::RunDueSteps(int limit) {
  struct Ran {
    std::string plan, step, outcome;
    bool accepted = false;
    std::string kind;
    bool task = false;
  };
  auto ran = std::make_shared<std::vector<Ran>>();
  std::promise<Status> p;
  store_.Transact(
      [this, ran, limit](NotifyTx& tx) -> Status {
        ran->clear();
        const Instant now = clock_.Now();
        auto due = tx.DueSteps(now, limit);
        if (!due.ok()) return due.status();
        for (PlanStepRecord& s : *due) {
          auto run = tx.PlanRun(s.plan, s.key);
          if (!run.ok()) return run.status();
          auto plan = config_.plans.find(s.plan);
          if (!*run || (*run)->status != PlanRunStatus::kRunning || plan == config_.plans.end() ||
              s.index >= static_cast<int>(plan->second.steps.size())) {
            s.status = PlanStepStatus::kCancelled;
            CSOPS_RETURN_IF_ERROR(tx.SavePlanStep(s));
            ran->push_back({s.plan, s.name, "cancelled", false, "", false});
            continue;
          }
          const PlanStepModel& step = plan->second.steps[static_cast<std::size_t>(s.index)];
          Ran r{s.plan, s.name, "sent", false, "", false};
          if (step.kind.empty()) {
            const auto& vars = (*run)->variables;
            CSOPS_RETURN_IF_ERROR(tx.InsertTask(
                {0, "plan:" + s.plan + ":" + s.key + ":" + s.name, step.task_case_type,
                 vars.at("branch_id"), (*run)->recipient.customer_number,
                 (*run)->recipient.name.empty() ? "(customer)" : (*run)->recipient.name,
                 s.plan + " " + s.key + ": " + s.name}));
            r.outcome = "task";
            r.task = true;
          } else {
            auto send = StepSend(plan->second, step, **run);
            Result<SendResult> accepted =
                send.ok() ? AcceptInTx(tx, *send, now) : Result<SendResult>(send.status());
            if (accepted.ok()) {
              s.notification_id = accepted->id;
              r.accepted = !accepted->duplicate;
              r.kind = step.kind;
            } else if (accepted.status().code() == StatusCode::kFailedPrecondition ||
                       accepted.status().code() == StatusCode::kInvalidArgument ||
                       accepted.status().code() == StatusCode::kAlreadyExists) {
              // Opted out of every channel of the step, or a client's Send took its key.
              r.outcome = "skipped";
            } else {
              return accepted.status();
            }
          }
          s.status = PlanStepStatus::kDone;
          CSOPS_RETURN_IF_ERROR(tx.SavePlanStep(s));
          auto all = tx.PlanSteps(s.plan, s.key);
          if (!all.ok()) return all.status();
          if (std::none_of(all->begin(), all->end(), [](const PlanStepRecord& x) {
                return x.status == PlanStepStatus::kPending;
              })) {
            (*run)->status = PlanRunStatus::kFinished;
            CSOPS_RETURN_IF_ERROR(tx.SavePlanRun(**run));
          }
          ran->push_back(std::move(r));
        }
        return Status();
      },
      [&p](const Status& s) { p.set_value(s); });
  if (Status s = p.get_future().get(); !s.ok()) return s;
  bool tasks = false;
  for (const Ran& r : *ran) {
    if (observer_) {
      observer_->PlanStep(r.plan, r.step, r.outcome);
      if (r.accepted) observer_->Accepted(r.kind);
    }
    tasks = tasks || r.task;
  }
  if (!ran->empty() && wake_) wake_();
  if (tasks && task_hook_) task_hook_();
  return static_cast<int>(ran->size());
}

Result<std::optional<Instant>> NotifyEngine::NextStepDue() {
  std::optional<Instant> out;
  Status s = store_.Read([&](NotifyTx& tx) {
    auto r = tx.NextStepDue();
    if (!r.ok()) return r.status();
    out = *r;
    return Status();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<TaskRecord>> NotifyEngine::PendingTasks(int limit) {
  std::vector<TaskRecord> out;
  Status s = store_.Read([&](NotifyTx& tx) {
    auto r = tx.PendingTasks(limit);
    if (!r.ok()) return r.status();
    out = std::move(*r);
    return Status();
  });
  if (!s.ok()) return s;
  return out;
}

Status NotifyEngine::MarkTaskRelayed(std::int64_t id, const std::string& refusal) {
  std::promise<Status> p;
  store_.Transact(
      [this, id, refusal](NotifyTx& tx) { return tx.MarkTaskRelayed(id, clock_.Now(), refusal); },
      [&p](const Status& s) { p.set_value(s); });
  return p.get_future().get();
}

}  // namespace csops::notify

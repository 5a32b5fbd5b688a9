// CaseEngine's commands: create, transition (and reopen), note, delay and assign, each one store
// transaction (case_engine.h). SLA firing is in case_engine_sla.cc, reads in
// case_engine_queries.cc.
#include "services/case/case_engine.h"

#include <algorithm>
#include <cstdio>
#include <memory>

#include "common/base/civil_date.h"
#include "common/base/contact.h"
#include "common/base/text.h"
#include "common/grpc/time_check.h"
#include "services/case/case_engine_internal.h"
#include "services/case/domain/acceptance_number.h"
#include "services/case/domain/lookup_code.h"

namespace csops::cases {

using engine_internal::kAssignee;
using engine_internal::NoticePayload;
using engine_internal::UnknownBranch;
using engine_internal::UnknownType;

namespace {

// Text limits in characters (Unicode code points), as the API documents them.
constexpr TextLimit kName{true, 100, Lines::kSingle};
constexpr TextLimit kSummary{true, 2000, Lines::kMulti};
constexpr TextLimit kNote{true, 2000, Lines::kMulti};
constexpr TextLimit kTransitionNote{false, 2000, Lines::kMulti};
constexpr TextLimit kReason{true, 500, Lines::kMulti};
constexpr TextLimit kStaffId{true, 64, Lines::kSingle};
constexpr auto kCreateReplyTtl = std::chrono::hours(24);

std::string Fingerprint(const CreateCaseCommand& c) {
  std::uint64_t h = 1469598103934665603ULL;
  for (const std::string* s : {&c.type_code, &c.branch_id, &c.applicant.name, &c.applicant.phone,
                               &c.applicant.email, &c.summary})
    for (unsigned char ch : *s + "\x1f") {
      h ^= ch;
      h *= 1099511628211ULL;
    }
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

Status ValidateApplicant(const ApplicantRecord& a) {
  CSOPS_RETURN_IF_ERROR(CheckText("applicant.name", a.name, kName));
  for (char c : a.customer_number)
    if (c < '0' || c > '9')
      return Status::InvalidArgument("applicant.customer_number: digits only");
  // The rules notify sends by (common/base/contact.h): a contact taken here is one notify takes.
  if (!a.email.empty()) CSOPS_RETURN_IF_ERROR(contact::ValidateEmail(a.email, "applicant.email"));
  if (!a.phone.empty())
    if (auto p = contact::NormalizePhone(a.phone, "applicant.phone"); !p.ok()) return p.status();
  for (NoticeChannel c : a.channels) {
    if (c == NoticeChannel::kEmail && a.email.empty())
      return Status::InvalidArgument("applicant.email: required for e-mail notices");
    if ((c == NoticeChannel::kSms) && a.phone.empty())
      return Status::InvalidArgument("applicant.phone: required for SMS notices");
    if (c == NoticeChannel::kSms)
      if (auto m = contact::NormalizeMobile(a.phone, "applicant.phone"); !m.ok()) return m.status();
  }
  if (a.locale != "zh-TW" && a.locale != "en")
    return Status::InvalidArgument("applicant.locale: must be zh-TW or en");
  return Status();
}

}  // namespace

CaseEngine::CaseEngine(const Clock& clock, CaseConfig config, CaseStore& store,
                       std::string lookup_base_url, LookupSecret secret)
    : clock_(clock),
      current_(nullptr),
      store_(store),
      lookup_base_url_(std::move(lookup_base_url)),
      secret_(std::move(secret)) {
  Reload(std::move(config));
}

std::string CaseEngine::DerivedLookupUrl(const std::string& compact_number,
                                         const std::string& idempotency_key) const {
  auto n = ParseAcceptanceNumber(compact_number);
  return LookupUrl(n.ok() ? n->Display() : compact_number,
                   DeriveLookupCode(secret_, idempotency_key, compact_number));
}

void CaseEngine::Reload(CaseConfig config) {
  std::lock_guard<std::mutex> lock(reload_mu_);
  configs_.push_back(std::make_unique<const CaseConfig>(std::move(config)));
  current_.store(configs_.back().get());
}

Result<CaseView> CaseEngine::ViewOf(CaseTx& tx, const CaseRecord& c, Instant now,
                                    const CaseConfig& config) const {
  CaseView v;
  v.record = c;
  auto type = config.types.find(c.type_code);
  auto branch = config.branches.find(c.branch_id);
  if (type == config.types.end() || branch == config.branches.end())
    return Status::FailedPrecondition("case " + DisplayAcceptanceNumber(c.acceptance_number) +
                                      " refers to a type or branch no longer configured");
  v.type = &type->second;
  v.branch = &branch->second;
  auto periods = tx.Periods(c.id);
  if (!periods.ok()) return periods.status();
  for (const TargetModel& t : v.type->targets) {
    std::vector<Pause> pauses;
    bool paused_now = false;
    const std::optional<Instant> stopped =
        t.stop == SlaStopKind::kFirstReply ? c.first_reply_at : c.closed_at;
    for (const StatusPeriod& p : *periods) {
      if (stopped && p.begin >= *stopped) continue;  // after the target stopped: irrelevant
      const bool pauses_it = t.paused_by.count(p.status) ||
                             (IsClosed(p.status) && t.stop == SlaStopKind::kCompletion && p.end);
      if (!pauses_it) continue;
      pauses.push_back({p.begin, p.end});
      if (!p.end) paused_now = true;
    }
    SlaCalendar cal(t.always ? nullptr : branch->second.calendar.get());
    auto schedule = ComputeSchedule(cal, c.accepted_at, t.length, t.warn_percents, pauses);
    if (!schedule.ok()) return schedule.status();
    TargetView tv{&t, *schedule, SlaState::kOnTrack, std::nullopt};
    tv.stopped_at = t.stop == SlaStopKind::kFirstReply ? c.first_reply_at : c.closed_at;
    tv.state = StateAt(tv.schedule, now, paused_now, tv.stopped_at);
    const BusinessCalendar& office = *branch->second.calendar;
    tv.provisional = !t.always && !tv.stopped_at && tv.schedule.due &&
                     office.LocalDay(*tv.schedule.due) > office.covers_until();
    v.targets.push_back(std::move(tv));
  }
  auto history = tx.History(c.id);
  if (!history.ok()) return history.status();
  v.history = std::move(*history);
  return v;
}

Status CaseEngine::SaveTargets(CaseTx& tx, const CaseView& v) const {
  for (const TargetView& t : v.targets)
    CSOPS_RETURN_IF_ERROR(tx.SaveTarget(v.record.id, t.model->name, t.schedule.due, t.stopped_at));
  return Status();
}

Status CaseEngine::QueueNotice(CaseTx& tx, const CaseRecord& c, const std::string& kind,
                               const std::string& payload, Instant now) const {
  // The applicant's first preferred channel that has its contact; none means the office
  // tells them in person (the receipt) and nothing is queued.
  for (NoticeChannel ch : c.applicant.channels) {
    std::string recipient = ch == NoticeChannel::kEmail ? c.applicant.email
                            : ch == NoticeChannel::kSms ? c.applicant.phone
                                                        : std::string();
    if (ch == NoticeChannel::kAppPush || ch == NoticeChannel::kPost)
      recipient = "customer:" + (c.applicant.customer_number.empty() ? c.acceptance_number
                                                                     : c.applicant.customer_number);
    if (recipient.empty()) continue;
    return tx.InsertOutbox({c.id, kind, ch, recipient, payload, now});
  }
  return Status();
}

void CaseEngine::Create(CreateCaseCommand cmd, Done<CreatedCase> done) {
  const CaseConfig& config = cfg();  // one snapshot for the whole command
  auto type = config.types.find(cmd.type_code);
  if (cmd.type_code.empty()) return done(Status::InvalidArgument("type_code: must not be empty"));
  if (type == config.types.end()) return done(UnknownType(cmd.type_code));
  auto branch = config.branches.find(cmd.branch_id);
  if (cmd.branch_id.empty()) return done(Status::InvalidArgument("branch_id: must not be empty"));
  if (branch == config.branches.end()) return done(UnknownBranch(cmd.branch_id));
  if (cmd.applicant.locale.empty()) cmd.applicant.locale = "zh-TW";
  if (Status s = ValidateApplicant(cmd.applicant); !s.ok()) return done(s);
  if (std::find(kReceivedVia.begin(), kReceivedVia.end(), cmd.received_via) == kReceivedVia.end())
    return done(
        Status::InvalidArgument("received_via: must be counter, phone, web, app, mail or fax"));
  if (Status s = CheckText("summary", cmd.summary, kSummary); !s.ok()) return done(s);
  if (Status s = CheckText("staff_id", cmd.staff_id, kStaffId); !s.ok()) return done(s);
  if (Status s = CheckIdempotencyKey("idempotency_key", cmd.idempotency_key); !s.ok())
    return done(s);

  struct Out {
    std::optional<Result<CreatedCase>> result;
    AfterCommit after;
  };
  auto out = std::make_shared<Out>();
  const CaseBranch* b = &branch->second;
  store_.TransactNewCase(
      b->id,
      [this, out, b, &config, cmd = std::move(cmd)](CaseTx& tx) -> Status {
        const Instant now = clock_.Now();
        const std::string fingerprint = Fingerprint(cmd);
        auto existing = tx.FindByIdempotencyKey(cmd.idempotency_key);
        if (!existing.ok()) return existing.status();
        if (*existing) {
          if ((*existing)->request_fingerprint != fingerprint)
            return Status::AlreadyExists("idempotency_key: already used for case " +
                                         DisplayAcceptanceNumber((*existing)->acceptance_number) +
                                         " with a different request");
          auto view = ViewOf(tx, **existing, now, config);
          if (!view.ok()) return view.status();
          // The code again, within the reply window, if it is the one the case was created with
          // (a case from before schema 6 had a random code that is kept nowhere).
          const CaseRecord& e = **existing;
          std::string code = DeriveLookupCode(secret_, cmd.idempotency_key, e.acceptance_number);
          if (now >= e.accepted_at + kCreateReplyTtl ||
              !LookupCodeMatches(secret_, code, e.acceptance_number, e.lookup_salt, e.lookup_hash))
            code.clear();
          out->after = {};
          out->result.emplace(CreatedCase{std::move(*view), std::move(code)});
          return Status();
        }
        const absl::CivilDay day = b->calendar->LocalDay(now);
        auto seq = tx.TakeSequence(b->id, FormatIsoDate(day));
        if (!seq.ok()) return seq.status();
        auto number = MakeAcceptanceNumber(b->case_code, day, *seq);
        if (!number.ok()) return number.status();
        CaseRecord c;
        c.acceptance_number = number->Compact();
        c.branch_id = b->id;
        c.business_day = FormatIsoDate(day);
        c.sequence = *seq;
        c.type_code = cmd.type_code;
        c.status = CaseStatus::kAccepted;
        c.received_via = cmd.received_via;
        c.summary = cmd.summary;
        c.applicant = cmd.applicant;
        const std::string code =
            DeriveLookupCode(secret_, cmd.idempotency_key, c.acceptance_number);
        c.lookup_hash = LookupVerifier(secret_, code, c.acceptance_number);  // no salt needed
        c.accepted_at = now;
        c.idempotency_key = cmd.idempotency_key;
        c.request_fingerprint = fingerprint;
        auto id = tx.InsertCase(c);
        if (!id.ok()) return id.status();
        c.id = *id;
        CSOPS_RETURN_IF_ERROR(
            tx.AppendHistory(c.id, {now, "staff:" + cmd.staff_id, history_kind::kCreated,
                                    std::nullopt, CaseStatus::kAccepted, ""}));
        auto view = ViewOf(tx, c, now, config);
        if (!view.ok()) return view.status();
        CSOPS_RETURN_IF_ERROR(SaveTargets(tx, *view));
        // No lookup_url here: the relay derives the code again (the outbox keeps no code).
        CSOPS_RETURN_IF_ERROR(QueueNotice(tx, c, outbox_kind::kAccepted,
                                          NoticePayload({{"acceptance_number", number->Display()},
                                                         {"type", view->type->name_zh_tw}}),
                                          now));
        out->after = {};
        out->after.number = c.acceptance_number;
        out->after.opened_via = c.received_via;
        CSOPS_RETURN_IF_ERROR(FireInTx(tx, *view, now, out->after));
        out->result.emplace(CreatedCase{std::move(*view), code});
        return Status();
      },
      [this, out, done = std::move(done)](const Status& s) {
        if (!s.ok()) return done(s);
        Notify(out->after);
        done(std::move(*out->result));
      });
}

void CaseEngine::Change(std::string number, std::string staff_id,
                        std::function<Status(CaseTx&, CaseRecord&, Instant)> apply,
                        Done<CaseView> done) {
  auto parsed = ParseAcceptanceNumber(number);
  if (!parsed.ok()) return done(parsed.status());
  if (Status s = CheckText("staff_id", staff_id, kStaffId); !s.ok()) return done(s);
  struct Out {
    std::optional<CaseView> view;
    AfterCommit after;
  };
  auto out = std::make_shared<Out>();
  store_.Transact(
      [this, out, compact = parsed->Compact(), apply = std::move(apply)](CaseTx& tx) -> Status {
        const Instant now = clock_.Now();
        auto found = tx.FindByNumber(compact);
        if (!found.ok()) return found.status();
        if (!*found)
          return Status::NotFound("case " + DisplayAcceptanceNumber(compact) + " does not exist");
        CaseRecord c = **found;
        CSOPS_RETURN_IF_ERROR(apply(tx, c, now));
        auto view = ViewOf(tx, c, now);
        if (!view.ok()) return view.status();
        out->after = {};
        out->after.number = c.acceptance_number;
        if (IsClosed(c.status) && !IsClosed(found->value().status)) {
          out->after.closed_as = c.status;
          out->after.within_sla = true;
          for (const TargetView& t : view->targets) {
            if (t.model->stop != SlaStopKind::kCompletion) continue;
            if (!t.schedule.due || now > *t.schedule.due) out->after.within_sla = false;
            if (!out->after.resolution_time) {
              const BusinessCalendar* cal =
                  t.model->always ? nullptr : view->branch->calendar.get();
              out->after.resolution_time = SlaCalendar(cal).Between(c.accepted_at, now);
            }
          }
          // Kept with the case so the report counts exactly what the metrics counted.
          c.within_sla = out->after.within_sla;
          c.resolution_ms = out->after.resolution_time.value_or(Duration::zero()).count();
          view->record = c;
        }
        CSOPS_RETURN_IF_ERROR(tx.SaveCase(c));
        CSOPS_RETURN_IF_ERROR(SaveTargets(tx, *view));
        CSOPS_RETURN_IF_ERROR(FireInTx(tx, *view, now, out->after));
        out->view.emplace(std::move(*view));
        return Status();
      },
      [this, out, done = std::move(done)](const Status& s) {
        if (!s.ok()) return done(s);
        Notify(out->after);
        done(std::move(*out->view));
      });
}

void CaseEngine::Transition(std::string number, CaseStatus to, std::string staff_id,
                            std::string note, Done<CaseView> done) {
  if (Status s = CheckText("note", note, kTransitionNote); !s.ok()) return done(s);
  const std::string actor = "staff:" + staff_id;
  Change(
      std::move(number), std::move(staff_id),
      [this, to, note, actor](CaseTx& tx, CaseRecord& c, Instant now) -> Status {
        const CaseStatus from = c.status;
        std::string kind = history_kind::kTransition;
        if (IsClosed(from) && to == CaseStatus::kInProgress) {
          const CaseConfig& config = cfg();
          auto found = config.types.find(c.type_code);
          if (found == config.types.end())
            return Status::FailedPrecondition("case type " + Quote(c.type_code) +
                                              " is no longer configured; the case cannot reopen");
          const CaseTypeModel& type = found->second;
          if (!c.closed_at || now - *c.closed_at > std::chrono::hours(24 * type.reopen_days))
            return Status::FailedPrecondition("case is '" + std::string(StatusName(from)) +
                                              "' for longer than the reopen window of " +
                                              std::to_string(type.reopen_days) + " days");
          kind = history_kind::kReopen;
          c.closed_at.reset();
          c.resolution_ms.reset();
          c.within_sla.reset();
        } else {
          CSOPS_RETURN_IF_ERROR(CheckTransition(from, to));
        }
        c.status = to;
        if (!c.first_reply_at && from == CaseStatus::kAccepted) c.first_reply_at = now;
        if (IsClosed(to)) c.closed_at = now;
        CSOPS_RETURN_IF_ERROR(tx.ClosePeriods(c.id, now));
        CSOPS_RETURN_IF_ERROR(tx.OpenPeriod(c.id, to, now));
        CSOPS_RETURN_IF_ERROR(tx.AppendHistory(c.id, {now, actor, kind, from, to, note}));
        if (to == CaseStatus::kCompleted) {
          auto n = ParseAcceptanceNumber(c.acceptance_number);
          CSOPS_RETURN_IF_ERROR(QueueNotice(tx, c, outbox_kind::kCompleted,
                                            NoticePayload({{"acceptance_number", n->Display()}}),
                                            now));
        }
        return Status();
      },
      std::move(done));
}

void CaseEngine::AddNote(std::string number, std::string staff_id, std::string note,
                         Done<CaseView> done) {
  if (Status s = CheckText("note", note, kNote); !s.ok()) return done(s);
  const std::string actor = "staff:" + staff_id;
  Change(
      std::move(number), std::move(staff_id),
      [note, actor](CaseTx& tx, CaseRecord& c, Instant now) -> Status {
        if (!c.first_reply_at) c.first_reply_at = now;  // a staff action answers the case
        return tx.AppendHistory(
            c.id, {now, actor, history_kind::kNote, std::nullopt, std::nullopt, note});
      },
      std::move(done));
}

void CaseEngine::DeclareDelay(std::string number, std::string staff_id, std::string reason,
                              std::string new_date, Done<CaseView> done) {
  if (Status s = CheckText("reason", reason, kReason); !s.ok()) return done(s);
  auto date = CheckDate("new_expected_date", new_date);
  if (!date.ok()) return done(date.status());
  const std::string actor = "staff:" + staff_id;
  Change(
      std::move(number), std::move(staff_id),
      [this, reason, new_date, day = *date, actor](CaseTx& tx, CaseRecord& c,
                                                   Instant now) -> Status {
        if (IsClosed(c.status))
          return Status::FailedPrecondition("case is '" + std::string(StatusName(c.status)) +
                                            "'; a closed case cannot be delayed");
        const CaseConfig& config = cfg();
        auto branch = config.branches.find(c.branch_id);
        if (branch == config.branches.end())
          return Status::FailedPrecondition("branch " + Quote(c.branch_id) +
                                            " is no longer configured");
        const auto& cal = branch->second.calendar;
        if (day < cal->LocalDay(now))
          return Status::InvalidArgument("new_expected_date: " + Quote(new_date) +
                                         " is in the past");
        c.delay_reason = reason;
        c.delay_new_date = new_date;
        CSOPS_RETURN_IF_ERROR(
            tx.AppendHistory(c.id, {now, actor, history_kind::kDelay, std::nullopt, std::nullopt,
                                    DelayNote(reason, new_date)}));
        auto n = ParseAcceptanceNumber(c.acceptance_number);
        return QueueNotice(tx, c, outbox_kind::kDelay,
                           NoticePayload({{"acceptance_number", n->Display()},
                                          {"reason", reason},
                                          {"new_expected_date", new_date}}),
                           now);
      },
      std::move(done));
}

void CaseEngine::Assign(std::string number, std::string staff_id, std::string department,
                        std::string assignee, Done<CaseView> done) {
  if (department.empty() && assignee.empty())
    return done(Status::InvalidArgument("department, assignee: set at least one"));
  if (Status s = CheckText("department", department, kAssignee); !s.ok()) return done(s);
  if (Status s = CheckText("assignee", assignee, kAssignee); !s.ok()) return done(s);
  const std::string actor = "staff:" + staff_id;
  Change(
      std::move(number), std::move(staff_id),
      [department, assignee, actor](CaseTx& tx, CaseRecord& c, Instant now) -> Status {
        if (IsClosed(c.status))
          return Status::FailedPrecondition("case is '" + std::string(StatusName(c.status)) +
                                            "'; a closed case cannot be assigned");
        if (!department.empty()) c.assignee_department = department;
        if (!assignee.empty()) c.assignee_staff = assignee;
        return tx.AppendHistory(c.id,
                                {now, actor, history_kind::kAssign, std::nullopt, std::nullopt,
                                 c.assignee_department + "/" + c.assignee_staff});
      },
      std::move(done));
}

}  // namespace csops::cases

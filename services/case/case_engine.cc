#include "services/case/case_engine.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <future>
#include <map>
#include <memory>
#include <set>

#include "common/base/civil_date.h"
#include "common/base/contact.h"
#include "common/base/log.h"
#include "common/base/text.h"
#include "common/grpc/time_check.h"
#include "services/case/domain/acceptance_number.h"
#include "services/case/domain/lookup_code.h"

namespace csops::cases {
namespace {

// Text limits in characters (Unicode code points), as the API documents them.
constexpr TextLimit kName{true, 100, Lines::kSingle};
constexpr TextLimit kSummary{true, 2000, Lines::kMulti};
constexpr TextLimit kNote{true, 2000, Lines::kMulti};
constexpr TextLimit kTransitionNote{false, 2000, Lines::kMulti};
constexpr TextLimit kReason{true, 500, Lines::kMulti};
constexpr TextLimit kStaffId{true, 64, Lines::kSingle};
constexpr TextLimit kAssignee{false, 64, Lines::kSingle};
constexpr auto kCreateReplyTtl = std::chrono::hours(24);

std::string Json(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

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

// A type_code or branch_id (a request field or a filter) that the config does not define.
Status UnknownType(const std::string& code) {
  return Status::NotFound("type_code: case type " + Quote(code) + " is not configured");
}
Status UnknownBranch(const std::string& id) {
  return Status::NotFound("branch_id: branch " + Quote(id) + " is not configured");
}

const char* StatusText(CaseStatus s, bool en) {
  switch (s) {
    case CaseStatus::kAccepted:
      return en ? "Accepted" : "已受理";
    case CaseStatus::kInProgress:
      return en ? "In progress" : "處理中";
    case CaseStatus::kWaitingCustomer:
      return en ? "Waiting for your documents" : "待補件";
    case CaseStatus::kCompleted:
      return en ? "Completed" : "已完成";
    case CaseStatus::kRejected:
      return en ? "Not approved" : "未核准";
    case CaseStatus::kWithdrawn:
      return en ? "Withdrawn" : "已撤回";
  }
  return "";
}

// The most urgent state of the case's running targets (met and missed count as on track).
SlaState WorstState(const CaseView& v) {
  auto has = [&](SlaState st) {
    return std::any_of(v.targets.begin(), v.targets.end(),
                       [&](const TargetView& t) { return t.state == st; });
  };
  return has(SlaState::kBreached)  ? SlaState::kBreached
         : has(SlaState::kWarning) ? SlaState::kWarning
         : has(SlaState::kPaused)  ? SlaState::kPaused
                                   : SlaState::kOnTrack;
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
  static const char* const kVia[] = {"counter", "phone", "web", "app", "mail", "fax"};
  if (std::find(std::begin(kVia), std::end(kVia), cmd.received_via) == std::end(kVia))
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
  store_.Transact(
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
        CSOPS_RETURN_IF_ERROR(tx.AppendHistory(c.id, {now, "staff:" + cmd.staff_id, "created",
                                                      std::nullopt, CaseStatus::kAccepted, ""}));
        auto view = ViewOf(tx, c, now, config);
        if (!view.ok()) return view.status();
        CSOPS_RETURN_IF_ERROR(SaveTargets(tx, *view));
        // No lookup_url here: the relay derives the code again (the outbox keeps no code).
        CSOPS_RETURN_IF_ERROR(QueueNotice(tx, c, "accepted",
                                          "{\"acceptance_number\":" + Json(number->Display()) +
                                              ",\"type\":" + Json(view->type->name_zh_tw) + "}",
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
        std::string kind = "transition";
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
          kind = "reopen";
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
          CSOPS_RETURN_IF_ERROR(QueueNotice(
              tx, c, "completed", "{\"acceptance_number\":" + Json(n->Display()) + "}", now));
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
        return tx.AppendHistory(c.id, {now, actor, "note", std::nullopt, std::nullopt, note});
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
        CSOPS_RETURN_IF_ERROR(tx.AppendHistory(
            c.id,
            {now, actor, "delay", std::nullopt, std::nullopt, reason + " (" + new_date + ")"}));
        auto n = ParseAcceptanceNumber(c.acceptance_number);
        return QueueNotice(tx, c, "delay",
                           "{\"acceptance_number\":" + Json(n->Display()) + ",\"reason\":" +
                               Json(reason) + ",\"new_expected_date\":" + Json(new_date) + "}",
                           now);
      },
      std::move(done));
}

Status CaseEngine::FireInTx(CaseTx& tx, const CaseView& v, Instant now, AfterCommit& after) const {
  const CaseRecord& c = v.record;
  after.type_code = c.type_code;
  after.branch_id = c.branch_id;
  auto fired_list = tx.FiredSlaEvents(c.id);
  if (!fired_list.ok()) return fired_list.status();
  std::set<std::string> fired(fired_list->begin(), fired_list->end());
  auto fire = [&](const TargetView& t, const std::string& event, Instant due) -> Status {
    if (fired.count(t.model->name + "/" + event)) return Status();
    const bool late = now - due > std::chrono::seconds(1);
    auto inserted = tx.RecordSlaEvent(c.id, t.model->name, event, due, now, late);
    if (!inserted.ok()) return inserted.status();
    fired.insert(t.model->name + "/" + event);
    if (!*inserted) return Status();
    auto cursor = tx.SlaEventCursor(c.id, t.model->name, event);
    if (!cursor.ok()) return cursor.status();
    after.fired.push_back({c.acceptance_number, c.type_code, c.branch_id, t.model->name, event, due,
                           now, late, false, *cursor});
    if (event == "met" || event == "missed") return Status();
    CSOPS_RETURN_IF_ERROR(tx.AppendHistory(
        c.id, {now, "system", "sla", std::nullopt, std::nullopt, t.model->name + " " + event}));
    auto n = ParseAcceptanceNumber(c.acceptance_number);
    const std::string payload = "{\"acceptance_number\":" + Json(n->Display()) +
                                ",\"target\":" + Json(t.model->name) + ",\"event\":" + Json(event) +
                                "}";
    const std::string supervisors = "supervisors:" + c.branch_id;
    if (event == "breach")
      return tx.InsertOutbox({c.id, "sla_breach", NoticeChannel::kNone, supervisors, payload, now});
    // 稽催: the last warning came and nobody has told the applicant about a delay.
    const std::string last = "warning_" + std::to_string(t.model->warn_percents.back());
    if (event == last && c.delay_reason.empty()) {
      after.fired.back().chased = true;
      return tx.InsertOutbox({c.id, "sla_chase", NoticeChannel::kNone, supervisors, payload, now});
    }
    return Status();
  };
  std::optional<Instant> next;
  for (const TargetView& t : v.targets) {
    if (t.stopped_at) {
      // A stopped target's result is final: met or missed is recorded once.
      if (fired.count(t.model->name + "/met") || fired.count(t.model->name + "/missed")) continue;
      const bool met = t.schedule.due && *t.stopped_at <= *t.schedule.due;
      CSOPS_RETURN_IF_ERROR(
          fire(t, met ? "met" : "missed", t.schedule.due.value_or(*t.stopped_at)));
      continue;
    }
    std::vector<std::pair<std::string, std::optional<Instant>>> pending;
    for (std::size_t i = 0; i < t.schedule.warnings.size(); ++i)
      pending.emplace_back("warning_" + std::to_string(t.model->warn_percents[i]),
                           t.schedule.warnings[i]);
    pending.emplace_back("breach", t.schedule.due);
    for (const auto& [event, at] : pending) {
      if (!at) continue;  // behind an open pause
      if (*at <= now) {
        CSOPS_RETURN_IF_ERROR(fire(t, event, *at));
      } else if (!fired.count(t.model->name + "/" + event) && (!next || *at < *next)) {
        next = *at;
      }
    }
  }
  after.next = next;
  return tx.SaveSlaSummary(c.id, next, WorstState(v));
}

void CaseEngine::Notify(const AfterCommit& after) const {
  if (after.number.empty()) return;
  if (schedule_hook_) schedule_hook_(after.number, after.next);
  if (event_hook_ && !after.fired.empty()) event_hook_(after.fired);
  if (commit_hook_) commit_hook_(after);
}

void CaseEngine::FireDue(std::string number, Done<int> done) {
  auto out = std::make_shared<AfterCommit>();
  store_.Transact(
      [this, out, number](CaseTx& tx) -> Status {
        const Instant now = clock_.Now();
        auto found = tx.FindByNumber(number);
        if (!found.ok()) return found.status();
        if (!*found)
          return Status::NotFound("case " + DisplayAcceptanceNumber(number) + " does not exist");
        auto view = ViewOf(tx, **found, now);
        if (!view.ok()) return view.status();
        *out = {};
        out->number = number;
        return FireInTx(tx, *view, now, *out);
      },
      [this, out, done = std::move(done)](const Status& s) {
        if (!s.ok()) return done(s);
        Notify(*out);
        done(static_cast<int>(out->fired.size()));
      });
}

Result<std::vector<std::pair<std::string, Instant>>> CaseEngine::PendingEvents() {
  std::vector<std::pair<std::string, Instant>> out;
  Status s = store_.Read([&](CaseTx& tx) {
    auto scheduled = tx.ScheduledEvents();
    if (!scheduled.ok()) return scheduled.status();
    out = std::move(*scheduled);
    return Status();
  });
  if (!s.ok()) return s;
  return out;
}

Result<CaseEngine::SlaEventPage> CaseEngine::SlaEventsAfter(std::int64_t after,
                                                            const std::string& branch,
                                                            const std::string& type, int limit) {
  SlaEventPage page;
  Status s = store_.Read([&](CaseTx& tx) {
    // One read transaction: `newest` is at least every cursor in the page.
    auto newest = tx.NewestSlaEventCursor();
    if (!newest.ok()) return newest.status();
    page.newest = *newest;
    auto rows = tx.SlaEventsAfter(after, branch, type, limit);
    if (!rows.ok()) return rows.status();
    for (SlaEventRow& r : *rows)
      page.events.push_back({std::move(r.acceptance_number), std::move(r.type_code),
                             std::move(r.branch_id), std::move(r.target), std::move(r.event),
                             r.due_at, r.fired_at, r.late, false, r.cursor});
    return Status();
  });
  if (!s.ok()) return s;
  return page;
}

Result<int> CaseEngine::Recompute(bool all) {
  constexpr int kBatch = 500;
  struct Batch {
    std::vector<AfterCommit> commits;
    std::int64_t last_id = 0;
    int skipped = 0;
  };
  std::int64_t cursor = 0;
  int done_cases = 0;
  int skipped = 0;
  for (;;) {
    auto batch = std::make_shared<Batch>();
    std::promise<Status> committed;
    store_.Transact(
        [this, batch, cursor, all](CaseTx& tx) -> Status {
          *batch = {};
          batch->last_id = cursor;
          const Instant now = clock_.Now();
          auto rows = tx.OpenCasesAfter(cursor, kBatch, all);
          if (!rows.ok()) return rows.status();
          for (const CaseRecord& c : *rows) {
            batch->last_id = c.id;
            auto view = ViewOf(tx, c, now);
            if (!view.ok()) {  // type or branch no longer configured: keep what is stored
              ++batch->skipped;
              continue;
            }
            CSOPS_RETURN_IF_ERROR(SaveTargets(tx, *view));
            AfterCommit after;
            after.number = c.acceptance_number;
            CSOPS_RETURN_IF_ERROR(FireInTx(tx, *view, now, after));
            batch->commits.push_back(std::move(after));
          }
          return Status();
        },
        [&committed](const Status& s) { committed.set_value(s); });
    if (Status s = committed.get_future().get(); !s.ok()) return s;
    for (const AfterCommit& after : batch->commits) Notify(after);
    done_cases += static_cast<int>(batch->commits.size());
    skipped += batch->skipped;
    if (batch->last_id == cursor) break;
    cursor = batch->last_id;
  }
  if (skipped > 0)
    CSOPS_LOG(kWarning, "sla_recompute_skipped")
        .Kv("cases", skipped)
        .Kv("reason", "case type or branch no longer configured");
  return done_cases;
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
        return tx.AppendHistory(c.id, {now, actor, "assign", std::nullopt, std::nullopt,
                                       c.assignee_department + "/" + c.assignee_staff});
      },
      std::move(done));
}

Result<CaseEngine::ListPage> CaseEngine::List(const ListQuery& q) {
  if (q.page_size < 0 || q.page_size > 500)
    return Status::InvalidArgument("page_size: must be 1-500");
  const int page_size = q.page_size == 0 ? 50 : q.page_size;
  std::int64_t after = 0;
  if (!q.page_token.empty()) {
    // The token is "c" + the last id returned: opaque to clients, stable under inserts.
    char* end = nullptr;
    after = q.page_token.size() > 1 && q.page_token[0] == 'c'
                ? std::strtoll(q.page_token.c_str() + 1, &end, 10)
                : -1;
    if (after < 0 || !end || *end != '\0')
      return Status::InvalidArgument("page_token: not a token from a previous page");
  }
  if (!q.filter.status.empty() && !ParseStatus(q.filter.status))
    return Status::InvalidArgument("status: unknown");
  // A filter naming a type or branch that is not configured is a mistake, not an empty list
  // (the same answer as GetSlaReport's).
  const CaseConfig& config = cfg();
  if (!q.filter.type_code.empty() && !config.types.count(q.filter.type_code))
    return UnknownType(q.filter.type_code);
  if (!q.filter.branch_id.empty() && !config.branches.count(q.filter.branch_id))
    return UnknownBranch(q.filter.branch_id);
  CSOPS_RETURN_IF_ERROR(CheckText("assignee", q.filter.assignee, kAssignee));
  ListPage page;
  Status s = store_.Read([&](CaseTx& tx) {
    const Instant now = clock_.Now();
    std::int64_t cursor = after;
    // Rows come in id order; SLA filters are applied here, so keep reading until the page is
    // full or the table ends.
    for (;;) {
      auto rows = tx.ListCases(q.filter, cursor, 200);
      if (!rows.ok()) return rows.status();
      for (const CaseRecord& c : *rows) {
        cursor = c.id;
        auto view = ViewOf(tx, c, now, config);
        if (!view.ok()) return view.status();
        bool keep = true;
        if (q.sla_state)
          keep = std::any_of(view->targets.begin(), view->targets.end(),
                             [&](const TargetView& t) { return t.state == *q.sla_state; });
        if (keep && q.due_before)
          keep = std::any_of(view->targets.begin(), view->targets.end(), [&](const TargetView& t) {
            return !t.stopped_at && t.schedule.due && *t.schedule.due < *q.due_before;
          });
        if (!keep) continue;
        view->history.clear();
        page.cases.push_back(std::move(*view));
        if (static_cast<int>(page.cases.size()) == page_size) {
          page.next_page_token = "c" + std::to_string(c.id);
          return Status();
        }
      }
      if (rows->size() < 200) return Status();
    }
  });
  if (!s.ok()) return s;
  return page;
}

Result<CaseEngine::SlaReport> CaseEngine::Report(Instant from, Instant to,
                                                 const std::string& branch,
                                                 const std::string& type) {
  if (!(from < to)) return Status::InvalidArgument("to: must be after from");
  if (to - from > std::chrono::hours(24 * 400))
    return Status::InvalidArgument("to: a report covers at most 400 days");
  const CaseConfig& config = cfg();  // one snapshot: type pointers in the report stay consistent
  if (!branch.empty() && !config.branches.count(branch)) return UnknownBranch(branch);
  if (!type.empty() && !config.types.count(type)) return UnknownType(type);
  std::map<std::string, TypeReport> by_type;
  for (const auto& [code, t] : config.types) {
    if (!type.empty() && code != type) continue;
    TypeReport r;
    r.type = &t;
    for (const TargetModel& target : t.targets) r.met[target.name] = 0;
    by_type[code] = r;
  }
  std::map<std::string, std::vector<std::int64_t>> resolutions;
  SlaReport out;
  Status s = store_.Read([&](CaseTx& tx) {
    auto delays = tx.DelaysBetween(from, to, branch, type, kMaxDelayRows + 1);
    if (!delays.ok()) return delays.status();
    out.delays = std::move(*delays);
    if (out.delays.size() > static_cast<std::size_t>(kMaxDelayRows)) {
      out.delays.resize(kMaxDelayRows);
      out.delays_truncated = true;
    }
    for (const DelayRow& d : out.delays) {
      auto it = by_type.find(d.type_code);
      if (it != by_type.end()) ++it->second.delays_declared;
    }
    auto closed = tx.ClosedBetween(from, to, branch, type);
    if (!closed.ok()) return closed.status();
    for (const CaseRecord& c : *closed) {
      auto it = by_type.find(c.type_code);
      if (it == by_type.end()) continue;
      TypeReport& r = it->second;
      ++r.closed;
      if (c.within_sla.value_or(false)) ++r.closed_within_sla;
      if (c.resolution_ms) resolutions[c.type_code].push_back(*c.resolution_ms);
      auto fired = tx.FiredSlaEvents(c.id);
      if (!fired.ok()) return fired.status();
      for (const std::string& key : *fired) {
        auto slash = key.find('/');
        if (key.substr(slash + 1) == "met") ++r.met[key.substr(0, slash)];
      }
    }
    auto open = tx.CountOpen(branch);
    if (!open.ok()) return open.status();
    for (const CaseTx::OpenCount& n : *open) {
      auto it = by_type.find(n.type_code);
      if (it == by_type.end()) continue;
      it->second.open += n.cases;
      if (n.state == SlaState::kBreached) it->second.open_breached += n.cases;
    }
    return Status();
  });
  if (!s.ok()) return s;
  for (auto& [code, r] : by_type) {
    auto& v = resolutions[code];
    std::sort(v.begin(), v.end());
    // Nearest-rank percentiles.
    auto rank = [&](double p) {
      std::size_t k = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size())));
      return Duration(v[std::max<std::size_t>(k, 1) - 1]);
    };
    if (!v.empty()) {
      r.median_resolution = rank(0.5);
      r.p90_resolution = rank(0.9);
    }
    out.types.push_back(r);
  }
  return out;
}

Result<std::map<std::pair<std::string, SlaState>, std::int64_t>> CaseEngine::OpenCounts() {
  std::map<std::pair<std::string, SlaState>, std::int64_t> out;
  const CaseConfig& config = cfg();
  for (const auto& [code, type] : config.types)
    for (SlaState s :
         {SlaState::kOnTrack, SlaState::kWarning, SlaState::kBreached, SlaState::kPaused})
      out[{code, s}] = 0;
  Status s = store_.Read([&](CaseTx& tx) {
    auto open = tx.CountOpen("");
    if (!open.ok()) return open.status();
    for (const CaseTx::OpenCount& n : *open)
      if (config.types.count(n.type_code)) out[{n.type_code, n.state}] += n.cases;
    return Status();
  });
  if (!s.ok()) return s;
  return out;
}

Result<CaseView> CaseEngine::Get(const std::string& number) {
  auto parsed = ParseAcceptanceNumber(number);
  if (!parsed.ok()) return parsed.status();
  std::optional<CaseView> out;
  Status s = store_.Read([&](CaseTx& tx) {
    auto found = tx.FindByNumber(parsed->Compact());
    if (!found.ok()) return found.status();
    if (!*found) return Status::NotFound("case " + parsed->Display() + " does not exist");
    auto view = ViewOf(tx, **found, clock_.Now());
    if (!view.ok()) return view.status();
    out = std::move(*view);
    return Status();
  });
  if (!s.ok()) return s;
  return std::move(*out);
}

Result<PublicProgress> CaseEngine::Lookup(const std::string& number, const std::string& code,
                                          const std::string& locale) {
  const Status not_found =
      Status::NotFound("no case matches that acceptance number and look-up code");
  auto parsed = ParseAcceptanceNumber(number);
  if (!parsed.ok()) return parsed.status();
  if (code.empty()) return Status::InvalidArgument("lookup_code: must not be empty");
  const bool en = locale == "en";
  std::optional<PublicProgress> out;
  Status s = store_.Read([&](CaseTx& tx) {
    auto found = tx.FindByNumber(parsed->Compact());
    if (!found.ok()) return found.status();
    if (!*found || !LookupCodeMatches(secret_, code, (*found)->acceptance_number,
                                      (*found)->lookup_salt, (*found)->lookup_hash))
      return not_found;
    auto view = ViewOf(tx, **found, clock_.Now());
    if (!view.ok()) return view.status();
    PublicProgress p;
    p.acceptance_number = parsed->Display();
    p.type_name = en && !view->type->name_en.empty() ? view->type->name_en : view->type->name_zh_tw;
    p.status = view->record.status;
    p.status_text = StatusText(p.status, en);
    for (const HistoryRow& h : view->history) {
      if (h.kind == "created" || h.kind == "transition" || h.kind == "reopen") {
        std::string text = StatusText(h.to.value_or(CaseStatus::kAccepted), en);
        // The applicant needs the reason when asked for documents or refused.
        if (!h.note.empty() &&
            (h.to == CaseStatus::kWaitingCustomer || h.to == CaseStatus::kRejected))
          text += (en ? ": " : "：") + h.note;
        p.timeline.push_back({h.at, text});
      } else if (h.kind == "delay") {
        p.timeline.push_back({h.at, en ? "Expected later than planned" : "預計延後完成"});
      }
    }
    p.delay_reason = view->record.delay_reason;
    if (!view->record.delay_new_date.empty()) {
      p.expected_completion_date = view->record.delay_new_date;
    } else {
      for (const TargetView& t : view->targets)
        if (t.model->stop == SlaStopKind::kCompletion && t.schedule.due) {
          p.expected_completion_date =
              FormatIsoDate(view->branch->calendar->LocalDay(*t.schedule.due));
          p.expected_completion_provisional = t.provisional;
        }
    }
    out = std::move(p);
    return Status();
  });
  if (!s.ok()) return s;
  return std::move(*out);
}

}  // namespace csops::cases

// CaseEngine's reads: one case, the list with its SLA filters, the public look-up, the SLA
// report and the open-case counts (case_engine.h). Each runs in one read transaction.
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "common/base/civil_date.h"
#include "services/case/case_engine.h"
#include "services/case/case_engine_internal.h"
#include "services/case/domain/acceptance_number.h"
#include "services/case/domain/lookup_code.h"

namespace csops::cases {

using engine_internal::kAssignee;
using engine_internal::UnknownBranch;
using engine_internal::UnknownType;

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
      for (const std::string& key : *fired) {  // SlaEventKey: "<target>/<event>"
        auto slash = key.find('/');
        if (key.substr(slash + 1) == sla_event::kMet) ++r.met[key.substr(0, slash)];
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
    p.status_text = PublicStatusText(p.status, en);
    for (const HistoryRow& h : view->history) {
      if (h.kind == history_kind::kCreated || h.kind == history_kind::kTransition ||
          h.kind == history_kind::kReopen) {
        std::string text(PublicStatusText(h.to.value_or(CaseStatus::kAccepted), en));
        // The applicant needs the reason when asked for documents or refused.
        if (!h.note.empty() &&
            (h.to == CaseStatus::kWaitingCustomer || h.to == CaseStatus::kRejected))
          text += (en ? ": " : "：") + h.note;
        p.timeline.push_back({h.at, text});
      } else if (h.kind == history_kind::kDelay) {
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

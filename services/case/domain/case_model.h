// Case vocabulary and the case types built from the config: statuses and their transitions,
// SLA target definitions. Pure; immutable after start-up.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/clock.h"
#include "common/base/status.h"
#include "services/case/domain/sla.h"

namespace csops::cases {

enum class CaseStatus {
  kAccepted = 1,
  kInProgress,
  kWaitingCustomer,
  kCompleted,
  kRejected,
  kWithdrawn
};

std::string_view StatusName(CaseStatus s);  // "waiting_customer"
std::optional<CaseStatus> ParseStatus(std::string_view name);
bool IsClosed(CaseStatus s);  // completed, rejected, withdrawn
// The status in the applicant's words, for the public look-up: "待補件" or, when `en`,
// "Waiting for your documents".
std::string_view PublicStatusText(CaseStatus s, bool en);

// Allowed moves: accepted -> in_progress | waiting_customer | closed;
// in_progress <-> waiting_customer; in_progress | waiting_customer -> closed.
// Reopening (closed -> in_progress) is separate: see CheckReopen.
// kFailedPrecondition naming the current status otherwise.
Status CheckTransition(CaseStatus from, CaseStatus to);

enum class SlaStopKind { kFirstReply, kCompletion };

struct TargetModel {
  std::string name;
  SlaLength length;
  bool always = false;  // 24x7 clock instead of the branch calendar
  std::vector<int> warn_percents = {50, 80};
  std::set<CaseStatus> paused_by = {CaseStatus::kWaitingCustomer};
  SlaStopKind stop = SlaStopKind::kCompletion;
};

struct CaseTypeModel {
  std::string code;
  std::string name_zh_tw;
  std::string name_en;
  std::vector<TargetModel> targets;
  int reopen_days = 30;
};

// What the case service needs to know about a branch.
struct CaseBranch {
  std::string id;
  std::string case_code;  // acceptance number prefix
  std::shared_ptr<const BusinessCalendar> calendar;
};

struct CaseConfig {
  std::map<std::string, CaseTypeModel> types;  // by code
  std::map<std::string, CaseBranch> branches;  // by id
};

}  // namespace csops::cases

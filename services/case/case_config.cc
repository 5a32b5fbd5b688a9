#include "services/case/case_config.h"

#include <algorithm>

namespace csops::cases {

namespace {

bool IsCode(const std::string& s) {
  if (s.empty() || s.size() > 40) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

Result<TargetModel> BuildTarget(const config::v1::SlaTargetConfig& t, const TextProtoFile& file,
                                const std::string& at) {
  TargetModel m;
  if (!IsCode(t.name())) return file.Error(at + ".name", "'" + t.name() + "' must be [a-z0-9_]");
  m.name = t.name();
  if (t.has_business_minutes() == t.has_working_days())
    return file.Error(at, "set exactly one of business_minutes and working_days");
  m.always = t.clock() == config::v1::ALWAYS;
  if (t.has_business_minutes()) {
    if (t.business_minutes() < 1 || t.business_minutes() > 525600)
      return file.Error(at + ".business_minutes", "must be between 1 and 525600");
    m.length = {SlaLength::Unit::kBusinessMinutes, t.business_minutes()};
  } else {
    if (t.working_days() < 1 || t.working_days() > 365)
      return file.Error(at + ".working_days", "must be between 1 and 365");
    if (m.always) return file.Error(at + ".working_days", "needs the OFFICE clock");
    m.length = {SlaLength::Unit::kWorkingDays, t.working_days()};
  }
  if (t.warn_percent_size() > 0) {
    m.warn_percents.assign(t.warn_percent().begin(), t.warn_percent().end());
    for (std::size_t i = 0; i < m.warn_percents.size(); ++i)
      if (m.warn_percents[i] < 1 || m.warn_percents[i] > 99 ||
          (i > 0 && m.warn_percents[i] <= m.warn_percents[i - 1]))
        return file.Error(at + ".warn_percent", "must be ascending values between 1 and 99");
  }
  if (t.paused_by_size() > 0) {
    m.paused_by.clear();
    for (const auto& name : t.paused_by()) {
      auto s = ParseStatus(name);
      if (!s || IsClosed(*s) || *s == CaseStatus::kAccepted)
        return file.Error(
            at + ".paused_by",
            "'" + name + "' is not a status that can pause (in_progress, waiting_customer)");
      m.paused_by.insert(*s);
    }
  }
  m.stop =
      t.stop() == config::v1::FIRST_REPLY ? SlaStopKind::kFirstReply : SlaStopKind::kCompletion;
  return m;
}

}  // namespace

Result<CaseConfig> BuildCaseConfig(const LoadedConfig& config) {
  CaseConfig out;
  const TextProtoFile& file = *config.source;
  const auto& c = config.proto;
  for (int i = 0; i < c.case_types_size(); ++i) {
    const auto& t = c.case_types(i);
    const std::string at = "case_types[" + std::to_string(i) + "]";
    if (!IsCode(t.code())) return file.Error(at + ".code", "'" + t.code() + "' must be [a-z0-9_]");
    if (out.types.count(t.code()))
      return file.Error(at + ".code", "'" + t.code() + "' is defined twice");
    if (t.name_zh_tw().empty()) return file.Error(at + ".name_zh_tw", "is required");
    CaseTypeModel m{t.code(), t.name_zh_tw(), t.name_en(), {}, 30};
    if (t.has_reopen_days()) {
      if (t.reopen_days() < 0 || t.reopen_days() > 365)
        return file.Error(at + ".reopen_days", "must be between 0 and 365");
      m.reopen_days = t.reopen_days();
    }
    if (t.targets_size() == 0)
      return file.Error(at + ".targets", "at least one SLA target is required");
    for (int j = 0; j < t.targets_size(); ++j) {
      auto target = BuildTarget(t.targets(j), file, at + ".targets[" + std::to_string(j) + "]");
      if (!target.ok()) return target.status();
      for (const auto& other : m.targets)
        if (other.name == target->name)
          return file.Error(at + ".targets[" + std::to_string(j) + "].name",
                            "'" + target->name + "' is defined twice");
      m.targets.push_back(std::move(*target));
    }
    out.types[m.code] = std::move(m);
  }
  for (int i = 0; i < c.branches_size(); ++i) {
    const auto& b = c.branches(i);
    const std::string at = "branches[" + std::to_string(i) + "]";
    CaseBranch cb{b.id(), b.case_code(), nullptr};
    const std::string cal_name = b.calendar().empty() ? c.calendars(0).name() : b.calendar();
    auto cal = config.calendars.find(cal_name);
    if (cal == config.calendars.end())
      return file.Error(at + ".calendar", "'" + cal_name + "' is not one of the calendars");
    cb.calendar = cal->second;
    if (!out.types.empty()) {
      bool letters = cb.case_code.size() >= 2 && cb.case_code.size() <= 4 &&
                     std::all_of(cb.case_code.begin(), cb.case_code.end(),
                                 [](char ch) { return ch >= 'A' && ch <= 'Z'; });
      if (!letters)
        return file.Error(at + ".case_code", "'" + cb.case_code + "' must be 2-4 letters A-Z");
      for (const auto& [id, other] : out.branches)
        if (other.case_code == cb.case_code)
          return file.Error(at + ".case_code", "'" + cb.case_code + "' is used by branch " + id);
    }
    out.branches[cb.id] = std::move(cb);
  }
  return out;
}

}  // namespace csops::cases

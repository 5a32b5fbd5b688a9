#include "services/queue/queue_config.h"

#include <set>

#include "common/base/civil_date.h"

namespace csops::queue {

namespace {

int OrDefault(bool has, int value, int fallback) { return has ? value : fallback; }

Result<BranchModel> BuildOne(const config::v1::BranchConfig& b, const TextProtoFile& file,
                             const std::string& at) {
  BranchModel m;
  if (!IsIdentifier(b.id(), false))
    return file.Error(at + ".id", "'" + b.id() + "' must be 1-63 of [a-z0-9-]");
  m.id = b.id();
  m.name_zh_tw = b.name_zh_tw();
  m.name_en = b.name_en();
  m.time_zone_name = b.time_zone().empty() ? "Asia/Taipei" : b.time_zone();
  if (!absl::LoadTimeZone(m.time_zone_name, &m.zone))
    return file.Error(at + ".time_zone",
                      "'" + m.time_zone_name + "' is not a known IANA time zone");
  if (!b.day_start().empty()) {
    auto minute = ParseHhMm(b.day_start());
    if (!minute.ok() || *minute >= 1440)
      return file.Error(at + ".day_start", "'" + b.day_start() + "' is not HH:MM (00:00-23:59)");
    m.day_start_minute = *minute;
  }
  m.policy = b.selection() == config::v1::OLDEST_FIRST ? SelectionPolicy::kOldestFirst
                                                       : SelectionPolicy::kStrictOrder;
  m.priority_ratio = OrDefault(b.has_priority_ratio(), b.priority_ratio(), 2);
  if (m.priority_ratio < 1 || m.priority_ratio > 100)
    return file.Error(at + ".priority_ratio", "must be between 1 and 100");
  m.max_calls = OrDefault(b.has_max_calls(), b.max_calls(), 3);
  if (m.max_calls < 1 || m.max_calls > 10)
    return file.Error(at + ".max_calls", "must be between 1 and 10");
  m.near_turn_ahead = OrDefault(b.has_near_turn_ahead(), b.near_turn_ahead(), 3);
  if (m.near_turn_ahead < 0 || m.near_turn_ahead > 50)
    return file.Error(at + ".near_turn_ahead", "must be between 0 and 50");

  if (b.services_size() == 0)
    return file.Error(at + ".services", "at least one service is required");
  for (int i = 0; i < b.services_size(); ++i) {
    const auto& s = b.services(i);
    std::string sat = at + ".services[" + std::to_string(i) + "]";
    ServiceModel sm;
    if (s.code().size() != 1 || s.code()[0] < 'A' || s.code()[0] > 'Z')
      return file.Error(sat + ".code", "'" + s.code() + "' must be one upper-case letter");
    if (m.FindService(s.code()))
      return file.Error(sat + ".code", "'" + s.code() + "' is defined twice");
    sm.code = s.code();
    sm.name_zh_tw = s.name_zh_tw();
    sm.name_en = s.name_en();
    if (sm.name_zh_tw.empty()) return file.Error(sat + ".name_zh_tw", "is required");
    sm.first_number = OrDefault(s.has_first_number(), s.first_number(), 1);
    sm.last_number = OrDefault(s.has_last_number(), s.last_number(), 999);
    if (sm.first_number < 1 || sm.first_number >= sm.last_number || sm.last_number > 999999)
      return file.Error(s.has_last_number() ? sat + ".last_number" : sat + ".first_number",
                        "need 1 <= first_number < last_number <= 999999");
    sm.width = static_cast<int>(std::to_string(sm.last_number).size());
    int target = OrDefault(s.has_target_wait_minutes(), s.target_wait_minutes(), 10);
    if (target < 1 || target > 600)
      return file.Error(sat + ".target_wait_minutes", "must be between 1 and 600");
    sm.target_wait = std::chrono::minutes(target);
    int service_s = OrDefault(s.has_default_service_seconds(), s.default_service_seconds(), 300);
    if (service_s < 10 || service_s > 7200)
      return file.Error(sat + ".default_service_seconds", "must be between 10 and 7200");
    sm.default_service_time = std::chrono::seconds(service_s);
    m.services.push_back(std::move(sm));
  }
  if (b.counters_size() == 0)
    return file.Error(at + ".counters", "at least one counter is required");
  for (int i = 0; i < b.counters_size(); ++i) {
    const auto& c = b.counters(i);
    std::string cat = at + ".counters[" + std::to_string(i) + "]";
    if (!IsIdentifier(c.id(), true))
      return file.Error(cat + ".id", "'" + c.id() + "' must be 1-63 of [A-Za-z0-9-]");
    if (m.FindCounter(c.id())) return file.Error(cat + ".id", "'" + c.id() + "' is defined twice");
    if (c.services_size() == 0)
      return file.Error(cat + ".services", "at least one service code is required");
    CounterModel cm{c.id(), c.name().empty() ? c.id() : c.name(), {}};
    std::set<std::string> seen;
    for (const auto& code : c.services()) {
      if (!m.FindService(code))
        return file.Error(cat + ".services", "'" + code + "' is not a service of branch " + m.id);
      if (!seen.insert(code).second)
        return file.Error(cat + ".services", "'" + code + "' is listed twice");
      cm.services.push_back(code);
    }
    m.counters.push_back(std::move(cm));
  }
  return m;
}

}  // namespace

Result<std::vector<std::shared_ptr<const BranchModel>>> BuildBranchModels(const LoadedConfig& c) {
  std::vector<std::shared_ptr<const BranchModel>> out;
  for (int i = 0; i < c.proto.branches_size(); ++i) {
    auto m = BuildOne(c.proto.branches(i), *c.source, "branches[" + std::to_string(i) + "]");
    if (!m.ok()) return m.status();
    for (const auto& other : out)
      if (other->id == m->id)
        return c.source->Error("branches[" + std::to_string(i) + "].id",
                               "'" + m->id + "' is defined twice");
    out.push_back(std::make_shared<const BranchModel>(std::move(*m)));
  }
  return out;
}

}  // namespace csops::queue

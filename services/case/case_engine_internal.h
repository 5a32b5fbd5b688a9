// Internal to the case engine: what case_engine.cc (commands), case_engine_sla.cc (SLA firing,
// recompute, the event log) and case_engine_queries.cc (reads) share. Not for other files.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/base/status.h"
#include "common/base/text.h"

namespace csops::cases::engine_internal {

// A filter's or a command's assignee, in characters (Unicode code points).
inline constexpr TextLimit kAssignee{false, 64, Lines::kSingle};

// A type_code or branch_id (a request field or a filter) that the config does not define.
inline Status UnknownType(const std::string& code) {
  return Status::NotFound("type_code: case type " + Quote(code) + " is not configured");
}
inline Status UnknownBranch(const std::string& id) {
  return Status::NotFound("branch_id: branch " + Quote(id) + " is not configured");
}

// The outbox payload of a notice: one JSON object of string values, keys in the order given
// (the relay reads them as the notice's template variables, case_outbox_source.cc). Never
// throws: text reaching here is valid UTF-8 (checked requests, the parsed config); anything else
// would be replaced by U+FFFD rather than stored as invalid JSON.
inline std::string NoticePayload(const nlohmann::ordered_json& object) {
  return object.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace csops::cases::engine_internal

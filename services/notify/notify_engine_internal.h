// Internal to the notify engine: the checks of a recipient and of template variables that
// accepting a notice (notify_engine.cc) and starting a plan (notify_engine_plans.cc) share.
#pragma once

#include <map>
#include <string>

#include "common/base/status.h"
#include "services/notify/domain/notify_model.h"
#include "services/notify/domain/records.h"

namespace csops::notify::internal {

// Whether `r` has a contact for channel `c`.
bool Reachable(const RecipientRecord& r, Channel c);
// At most 64 variables, names and values within the API's text limits.
Status CheckVariables(const std::map<std::string, std::string>& vars);
// Checks every field of `r` and normalises its mobile number to the national form.
Status CheckRecipient(RecipientRecord& r);

}  // namespace csops::notify::internal

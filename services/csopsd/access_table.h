// The access table csopsd enforces, assembled from every module's rules (QueueAccessRules,
// CaseAccessRules, NotifyAccessRules, WebAccessRules) and csopsd's own: the admin service,
// gRPC health and reflection, /healthz and /metrics. The same table whatever --target runs,
// so "csopsd --print-policy" shows all of it.
#pragma once

#include "common/auth/policy.h"
#include "common/base/status.h"

namespace csops::csopsd {

// kInvalidArgument naming the route when two modules claim one route.
Result<auth::AccessTable> BuildAccessTable();

}  // namespace csops::csopsd

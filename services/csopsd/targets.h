// Which services a csopsd process runs (--target), and their gRPC health names.
#pragma once

#include <string>
#include <vector>

#include "common/base/status.h"

namespace csops::csopsd {

enum class Target { kQueue, kCase, kNotify };

// "all" or a comma list of "queue", "case", "notify" (no duplicates, no empty items), in the
// canonical order queue, case, notify. kInvalidArgument names the bad item.
Result<std::vector<Target>> ParseTargets(const std::string& text);

const char* TargetName(Target t);
// Fully-qualified gRPC service name reported by grpc.health.v1, e.g. "csops.queue.v1.QueueService".
const char* HealthServiceName(Target t);
// "queue,case,notify"
std::string JoinTargetNames(const std::vector<Target>& targets);

}  // namespace csops::csopsd

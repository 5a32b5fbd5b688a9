// Builds the queue service's domain configuration from the loaded config file (protobuf):
// the only place where the config's messages meet the queue domain.
#pragma once

#include "common/config/config.h"
#include "services/queue/domain/branch.h"

namespace csops::queue {

// Builds every branch in the config, validating it: unique ids and codes, ranges, counters that
// name existing services. Errors are located "<file>:<line>:<col>: branches[0].services[1]...".
Result<std::vector<std::shared_ptr<const BranchModel>>> BuildBranchModels(const LoadedConfig& c);

}  // namespace csops::queue

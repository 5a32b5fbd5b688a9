// Builds the case service's domain configuration from the loaded config file (protobuf):
// the only place where the config's messages meet the case domain.
#pragma once

#include "common/config/config.h"
#include "services/case/domain/case_model.h"

namespace csops::cases {

// Validates the case sections of the config (located errors, like LoadConfig's).
Result<CaseConfig> BuildCaseConfig(const LoadedConfig& config);

}  // namespace csops::cases

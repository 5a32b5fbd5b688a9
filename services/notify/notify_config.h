// Builds the notify service's domain configuration from the loaded config file (protobuf):
// the only place where the config's messages meet the notify domain.
#pragma once

#include "common/config/config.h"
#include "services/notify/domain/notify_model.h"

namespace csops::notify {

// Validates the notify section and loads every template (located errors, like LoadConfig's).
Result<NotifyConfig> BuildNotifyConfig(const LoadedConfig& config);

}  // namespace csops::notify

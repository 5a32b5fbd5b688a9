// Test helpers shared by the case service's unit tests.
#pragma once

#include <string>

#include "common/base/testutil.h"
#include "services/case/domain/lookup_code.h"

namespace csops::cases {

// A fixed look-up secret, so codes and verifiers are reproducible across test runs.
inline LookupSecret TestSecret() {
  auto s = LookupSecret::FromHex(std::string(64, '5'));
  EXPECT_OK(s.status());
  return *s;
}

}  // namespace csops::cases

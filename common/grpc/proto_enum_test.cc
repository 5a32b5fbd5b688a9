#include "common/grpc/proto_enum.h"

#include <gtest/gtest.h>

#include "csops/case/v1/case_service.pb.h"
#include "csops/notify/v1/notify_service.pb.h"

namespace csops {
namespace {

TEST(BadEnumValue, UnsetUnknownAndRefusedAreToldApart) {
  const auto* status = case_::v1::CaseStatus_descriptor();
  const std::string known =
      " (one of ACCEPTED, IN_PROGRESS, WAITING_CUSTOMER, COMPLETED, REJECTED, WITHDRAWN)";
  EXPECT_EQ(BadEnumValue("to_status", status, 0).message(), "to_status: must be set" + known);
  EXPECT_EQ(BadEnumValue("to_status", status, 99).message(),
            "to_status: 99 is not a known value" + known);
  EXPECT_EQ(BadEnumValue("to_status", status, -3).message(),
            "to_status: -3 is not a known value" + known);
  EXPECT_EQ(BadEnumValue("to_status", status, 1).message(),
            "to_status: CASE_STATUS_ACCEPTED is not accepted here" + known);
  EXPECT_EQ(BadEnumValue("to_status", status, 99).code(), StatusCode::kInvalidArgument);
}

TEST(BadEnumValue, NamesWithoutACommonPrefixStayWhole) {
  EXPECT_EQ(BadEnumValue("policy.mode", notify::v1::ChannelPolicy::Mode_descriptor(), 7).message(),
            "policy.mode: 7 is not a known value (one of EXPLICIT, ALL, FALLBACK)");
}

}  // namespace
}  // namespace csops

#include "common/outbox/call_class.h"

#include <gtest/gtest.h>

namespace csops::outbox {
namespace {

using grpc::StatusCode;

TEST(CallClassTest, OkIsAcceptedAndAlreadyExistsIsADuplicate) {
  EXPECT_EQ(ClassifyCall(StatusCode::OK), CallClass::kAccepted);
  EXPECT_EQ(ClassifyCall(StatusCode::ALREADY_EXISTS), CallClass::kDuplicate);
}

TEST(CallClassTest, AnswersThatNeverChangeAreRefused) {
  for (StatusCode c :
       {StatusCode::INVALID_ARGUMENT, StatusCode::FAILED_PRECONDITION, StatusCode::NOT_FOUND,
        StatusCode::PERMISSION_DENIED, StatusCode::OUT_OF_RANGE})
    EXPECT_EQ(ClassifyCall(c), CallClass::kRefused) << c;
}

TEST(CallClassTest, TransportAndServerTroubleIsRetried) {
  for (StatusCode c :
       {StatusCode::UNAVAILABLE, StatusCode::DEADLINE_EXCEEDED, StatusCode::RESOURCE_EXHAUSTED,
        StatusCode::INTERNAL, StatusCode::UNKNOWN, StatusCode::ABORTED, StatusCode::CANCELLED,
        StatusCode::DATA_LOSS, StatusCode::UNIMPLEMENTED, StatusCode::UNAUTHENTICATED})
    EXPECT_EQ(ClassifyCall(c), CallClass::kRetry) << c;
}

TEST(CallClassTest, ACodeOutsideTheKnownOnesIsRetriedNotDropped) {
  // 17: one past UNAUTHENTICATED (16), a code newer than this build. (99 would be outside
  // grpc::StatusCode's range of values, which UBSan rightly reports.)
  EXPECT_EQ(ClassifyCall(static_cast<StatusCode>(17)), CallClass::kRetry);
}

TEST(CallClassTest, NamesAreTheMetricLabels) {
  EXPECT_EQ(CallClassName(CallClass::kAccepted), "accepted");
  EXPECT_EQ(CallClassName(CallClass::kDuplicate), "duplicate");
  EXPECT_EQ(CallClassName(CallClass::kRefused), "refused");
  EXPECT_EQ(CallClassName(CallClass::kRetry), "retry");
}

}  // namespace
}  // namespace csops::outbox

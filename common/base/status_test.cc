#include "common/base/status.h"

#include <gtest/gtest.h>

#include "common/grpc/grpc_status.h"

namespace csops {
namespace {

TEST(StatusTest, OkStatusIsOkAndEmpty) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "ok");
  EXPECT_TRUE(ToGrpcStatus(s).ok());
}

TEST(StatusTest, EveryCodeMapsToItsGrpcCode) {
  const std::pair<Status, grpc::StatusCode> cases[] = {
      {Status::InvalidArgument("branch_id: must not be empty"), grpc::StatusCode::INVALID_ARGUMENT},
      {Status::NotFound("branch 'x'"), grpc::StatusCode::NOT_FOUND},
      {Status::AlreadyExists("key"), grpc::StatusCode::ALREADY_EXISTS},
      {Status::FailedPrecondition("state"), grpc::StatusCode::FAILED_PRECONDITION},
      {Status::OutOfRange("range"), grpc::StatusCode::OUT_OF_RANGE},
      {Status::PermissionDenied("role"), grpc::StatusCode::PERMISSION_DENIED},
      {Status::Unauthenticated("who"), grpc::StatusCode::UNAUTHENTICATED},
      {Status::ResourceExhausted("quota"), grpc::StatusCode::RESOURCE_EXHAUSTED},
      {Status::Aborted("conflict"), grpc::StatusCode::ABORTED},
      {Status::Unavailable("disk"), grpc::StatusCode::UNAVAILABLE},
      {Status::DeadlineExceeded("late"), grpc::StatusCode::DEADLINE_EXCEEDED},
      {Status::Internal("bug"), grpc::StatusCode::INTERNAL},
  };
  for (const auto& [status, code] : cases) {
    grpc::Status g = ToGrpcStatus(status);
    EXPECT_EQ(g.error_code(), code) << status.ToString();
    EXPECT_EQ(g.error_message(), status.message());
  }
}

TEST(StatusTest, LongMessagesAreCappedOnAUtf8Boundary) {
  std::string msg = "note: ";
  for (int i = 0; i < 400; ++i) msg += "號";  // 3 bytes each
  grpc::Status g = ToGrpcStatus(Status::InvalidArgument(msg));
  EXPECT_LE(g.error_message().size(), kMaxGrpcMessageBytes);
  EXPECT_EQ(g.error_message().substr(0, 6), "note: ");
  EXPECT_EQ(g.error_message().substr(g.error_message().size() - 3), "...");
  // Without the marker, the remainder must be whole code points: 6 ASCII + n*3 bytes.
  EXPECT_EQ((g.error_message().size() - 3 - 6) % 3, 0u);
}

TEST(StatusTest, ShortMessagesAreUntouched) {
  EXPECT_EQ(CapUtf8("abc", 3), "abc");
  EXPECT_EQ(CapUtf8("abcd", 3), "...");
  EXPECT_EQ(CapUtf8("abcdef", 5), "ab...");
}

TEST(StatusTest, WithContextPrefixesTheMessageAndKeepsTheCode) {
  Status s = Status::NotFound("no such table").WithContext("queue.db");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "queue.db: no such table");
  EXPECT_TRUE(Status().WithContext("x").ok());
}

TEST(ResultTest, HoldsAValueOrAnError) {
  Result<int> good = 7;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 7);
  Result<int> bad = Status::NotFound("ticket A001");
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kNotFound);
}

TEST(ResultTest, BuildingFromOkStatusIsAnInternalError) {
  Result<int> r = Status();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
}

Status FailsEarly(bool fail, int* reached) {
  CSOPS_RETURN_IF_ERROR(fail ? Status::Aborted("stop") : Status());
  *reached = 1;
  return Status();
}

TEST(StatusTest, ReturnIfErrorStopsOnlyOnError) {
  int reached = 0;
  EXPECT_EQ(FailsEarly(true, &reached).code(), StatusCode::kAborted);
  EXPECT_EQ(reached, 0);
  EXPECT_TRUE(FailsEarly(false, &reached).ok());
  EXPECT_EQ(reached, 1);
}

}  // namespace
}  // namespace csops

#include "common/grpc/request_parse_errors.h"

#include <gtest/gtest.h>

#include "csops/case/v1/case_service.pb.h"
#include "csops/notify/v1/notify_service.pb.h"

namespace csops::grpcx {
namespace {

// The generated descriptors are found by name only once their files are linked in.
const google::protobuf::Descriptor* const kLinked[] = {case_::v1::GetCaseRequest::descriptor(),
                                                       notify::v1::SendRequest::descriptor()};

std::string Utf8Log(const std::string& field) {
  return "String field '" + field +
         "' contains invalid UTF-8 data when parsing a protocol buffer. Use the 'bytes' type if "
         "you intend to send raw bytes. ";
}

TEST(ParseErrorMessage, NamesTheFieldFromTheRequestDown) {
  EXPECT_EQ(ParseErrorMessage("/csops.case.v1.CaseService/GetCase",
                              Utf8Log("csops.case.v1.GetCaseRequest.acceptance_number")),
            "request could not be parsed as csops.case.v1.GetCaseRequest: string field "
            "'acceptance_number' is not valid UTF-8");
  EXPECT_EQ(ParseErrorMessage("/csops.case.v1.CaseService/CreateCase",
                              Utf8Log("csops.case.v1.Applicant.name")),
            "request could not be parsed as csops.case.v1.CreateCaseRequest: string field "
            "'applicant.name' is not valid UTF-8");
}

TEST(ParseErrorMessage, AFieldOfAnotherMessageOrNoLogGivesTheGeneralMessage) {
  // A stale log line of some other parse on this thread must not be blamed on this request.
  EXPECT_EQ(ParseErrorMessage("/csops.case.v1.CaseService/GetCase",
                              Utf8Log("csops.notify.v1.SendRequest.kind")),
            "request could not be parsed as csops.case.v1.GetCaseRequest: it is not a valid "
            "protobuf encoding of that message");
  EXPECT_EQ(ParseErrorMessage("/csops.case.v1.CaseService/GetCase", ""),
            "request could not be parsed as csops.case.v1.GetCaseRequest: it is not a valid "
            "protobuf encoding of that message");
  EXPECT_EQ(ParseErrorMessage("/no.such.Service/Method", ""), "request could not be parsed");
}

TEST(ParseErrorMessage, AMapValueIsNamedByItsMap) {
  const std::string m =
      ParseErrorMessage("/csops.notify.v1.NotifyService/Send",
                        Utf8Log("csops.notify.v1.SendRequest.VariablesEntry.value"));
  EXPECT_NE(m.find("'variables (a value)'"), std::string::npos) << m;
}

}  // namespace
}  // namespace csops::grpcx

#include "common/grpc/request_parse_errors.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/stubs/logging.h>

#include <mutex>
#include <set>
#include <vector>

namespace csops::grpcx {
namespace {

using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::ServerRpcInfo;
namespace gpb = google::protobuf;

// The last "String field '...' contains invalid UTF-8 data when parsing" of this thread.
thread_local std::string last_parse_error;
gpb::LogHandler* previous_handler = nullptr;

void CaptureParseErrors(gpb::LogLevel level, const char* filename, int line,
                        const std::string& message) {
  if (message.find("when parsing a protocol buffer") != std::string::npos)
    last_parse_error = message;
  if (previous_handler) previous_handler(level, filename, line, message);
}

const gpb::Descriptor* RequestType(const std::string& method) {
  // "/csops.case.v1.CaseService/GetCase" -> "csops.case.v1.CaseService.GetCase"
  if (method.size() < 2 || method[0] != '/') return nullptr;
  std::string name = method.substr(1);
  auto slash = name.find('/');
  if (slash == std::string::npos) return nullptr;
  name[slash] = '.';
  const gpb::MethodDescriptor* m = gpb::DescriptorPool::generated_pool()->FindMethodByName(name);
  return m ? m->input_type() : nullptr;
}

// Where `field` sits below `type`, e.g. "applicant.name"; "" if it is not reachable from it.
std::string PathTo(const gpb::Descriptor* type, const gpb::FieldDescriptor* field,
                   std::set<const gpb::Descriptor*>& seen) {
  if (!seen.insert(type).second) return "";
  if (field->containing_type() == type) return field->name();
  for (int i = 0; i < type->field_count(); ++i) {
    const gpb::FieldDescriptor* f = type->field(i);
    if (f->type() != gpb::FieldDescriptor::TYPE_MESSAGE) continue;
    std::string below = PathTo(f->message_type(), field, seen);
    if (below.empty()) continue;
    // A map's entry is not a name the client wrote: "variables.value" reads better as
    // "variables (a value)".
    if (f->message_type()->options().map_entry()) return f->name() + " (a " + below + ")";
    return f->name() + "." + below;
  }
  return "";
}

class ParseErrorInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit ParseErrorInterceptor(ServerRpcInfo* info) : method_(info->method()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE)) {
      if (methods->GetRecvMessage() == nullptr) {
        failed_ = true;
        log_.swap(last_parse_error);
      }
      last_parse_error.clear();
    }
    if (failed_ && methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS) &&
        methods->GetSendStatus().error_code() == grpc::StatusCode::UNIMPLEMENTED) {
      methods->ModifySendStatus(
          grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, ParseErrorMessage(method_, log_)));
    }
    methods->Proceed();
  }

 private:
  const std::string method_;
  bool failed_ = false;
  std::string log_;
};

}  // namespace

std::string ParseErrorMessage(const std::string& method, const std::string& protobuf_log) {
  const gpb::Descriptor* type = RequestType(method);
  std::string out = "request could not be parsed";
  if (type == nullptr) return out;
  out += " as " + type->full_name();
  constexpr std::string_view kField = "String field '";
  if (auto at = protobuf_log.find(kField);
      at != std::string::npos && protobuf_log.find("invalid UTF-8") != std::string::npos) {
    const std::size_t begin = at + kField.size();
    const std::size_t end = protobuf_log.find('\'', begin);
    const std::string full = protobuf_log.substr(begin, end - begin);
    const gpb::FieldDescriptor* field =
        end == std::string::npos ? nullptr
                                 : gpb::DescriptorPool::generated_pool()->FindFieldByName(full);
    std::set<const gpb::Descriptor*> seen;
    const std::string path = field ? PathTo(type, field, seen) : "";
    if (!path.empty()) return out + ": string field '" + path + "' is not valid UTF-8";
  }
  return out + ": it is not a valid protobuf encoding of that message";
}

RequestParseErrorInterceptorFactory::RequestParseErrorInterceptorFactory() {
  static std::once_flag once;
  std::call_once(once, [] { previous_handler = gpb::SetLogHandler(&CaptureParseErrors); });
}

grpc::experimental::Interceptor* RequestParseErrorInterceptorFactory::CreateServerInterceptor(
    ServerRpcInfo* info) {
  if (info->type() != ServerRpcInfo::Type::UNARY &&
      info->type() != ServerRpcInfo::Type::SERVER_STREAMING)
    return nullptr;  // client streams see read failures themselves; generic calls parse nothing
  return new ParseErrorInterceptor(info);
}

}  // namespace csops::grpcx

#include "common/grpc/proto_enum.h"

#include <string>
#include <vector>

namespace csops {

Status BadEnumValue(std::string_view field, const google::protobuf::EnumDescriptor* type,
                    int value) {
  std::vector<std::string> names;
  for (int i = 0; i < type->value_count(); ++i)
    if (type->value(i)->number() != 0) names.push_back(type->value(i)->name());
  // The prefix every name shares, cut after its last '_' (CASE_STATUS_ACCEPTED -> ACCEPTED).
  std::string prefix = names.empty() ? "" : names.front();
  for (const std::string& n : names) {
    std::size_t k = 0;
    while (k < prefix.size() && k < n.size() && prefix[k] == n[k]) ++k;
    prefix.resize(k);
  }
  prefix.resize(prefix.rfind('_') == std::string::npos ? 0 : prefix.rfind('_') + 1);
  std::string known;
  for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n.substr(prefix.size());
  const std::string one_of = " (one of " + known + ")";
  const std::string name(field);
  if (value == 0) return Status::InvalidArgument(name + ": must be set" + one_of);
  if (const auto* v = type->FindValueByNumber(value))
    return Status::InvalidArgument(name + ": " + v->name() + " is not accepted here" + one_of);
  return Status::InvalidArgument(name + ": " + std::to_string(value) + " is not a known value" +
                                 one_of);
}

}  // namespace csops

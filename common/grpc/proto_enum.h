// One wording for a request's enum field that holds no usable value. proto3 enums are open: a
// client may send any number, and an unset field reads as 0 (<ENUM>_UNSPECIFIED), so "unset"
// and "a number this server does not know" must be told apart:
//   0                    "<field>: must be set (one of NORMAL, PRIORITY, ACCESSIBLE)"
//   not a value of it    "<field>: 99 is not a known value (one of NORMAL, PRIORITY, ...)"
//   a value refused here "<field>: PRIORITY_CLASS_X is not accepted here (one of ...)"
// The list names every non-zero value, without the prefix they share (CASE_STATUS_...).
#pragma once

#include <google/protobuf/descriptor.h>

#include <string_view>

#include "common/base/status.h"

namespace csops {

Status BadEnumValue(std::string_view field, const google::protobuf::EnumDescriptor* type,
                    int value);

}  // namespace csops

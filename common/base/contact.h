// Customers' contacts: one set of rules for every service. The queue takes a contact for "your
// turn is near", the case service an applicant's phone and e-mail, and notify sends to them; a
// contact that one of them accepts, notify can send to. Pure functions, no I/O.
//
// Errors are kInvalidArgument, name `field` and say what is wrong and what is expected; they
// never echo the contact itself (personal data, which must stay out of messages and logs).
#pragma once

#include <string>
#include <string_view>

#include "common/base/status.h"

namespace csops::contact {

// A Taiwan mobile number, the only kind that receives SMS (and the kind notify calls for
// voice): "09xxxxxxxx" or "+886 9xxxxxxxx"; spaces, '-', '.' and parentheses are ignored.
// Returns the national form "09xxxxxxxx". A landline (e.g. 02-2345-6789) is refused with a
// message saying it cannot receive SMS.
Result<std::string> NormalizeMobile(std::string_view text, std::string_view field);

// A Taiwan number a person can be called on: a mobile as above, or a landline with its area
// code, "0[2-8]" and 7-8 more digits (9-10 digits in all; "+886 2..." also taken). Returns the
// national form, digits only.
Result<std::string> NormalizePhone(std::string_view text, std::string_view field);

// True for a number NormalizePhone returned that is a mobile ("09...").
bool IsMobile(std::string_view national);

// An e-mail address notify's SMTP sender can deliver to: "local@domain", ASCII only, at most
// 254 characters. Local part: 1-64 of letters, digits and ! # $ % & ' * + / = ? ^ _ ` { | } ~ -
// and dots (not first, last or doubled; no quoted forms). Domain: at least two dot-separated
// labels of letters, digits and '-' (1-63 each, no '-' first or last), the last one 2-63
// characters and not all digits (no IP literals).
Status ValidateEmail(std::string_view text, std::string_view field);

}  // namespace csops::contact

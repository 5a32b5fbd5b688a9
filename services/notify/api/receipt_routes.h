// HTTP endpoints where providers report delivery (their receipts, DLRs), one path per
// configured provider, /receipts/<provider name>:
//
//   GET  ?msgid=<id>&statuscode=<c>&statusstr=<s>   Mitake-style DLR: delivered when statusstr
//                                                   is DELIVRD (or statuscode 0); answered
//                                                   "magicid=sms_gateway_rpack\nmsgid=<id>\n"
//   POST {"id":"<id>","delivered":true|false,"detail":"..."}   JSON webhooks (voice, JSON SMS)
//
// Both apply through NotifyEngine::ReportDelivery: a receipt for a send not recorded yet is
// kept and applied when it is. A missing id is 400; the answer never echoes personal data.
#pragma once

#include <map>
#include <string>

#include "common/http/http_server.h"
#include "services/notify/notify_engine.h"

namespace csops::notify {

std::map<std::string, http::Handler> ReceiptRoutes(NotifyEngine& engine);

}  // namespace csops::notify

// Provider delivery receipts as they arrive over HTTP (/receipts/<provider>): a Mitake-style GET
// query or a JSON POST body, handled by the real route and NotifyEngine. Any request gets an
// HTTP answer (2xx, or 400 naming what is wrong); never a crash or a 500.
#include "services/notify/api/receipt_routes.h"
#include "tests/fuzz/fuzz_engines.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto routes = csops::notify::ReceiptRoutes(*csops::fuzz::Engines::Get().notify);
  if (size == 0 || routes.empty()) return 0;
  auto it = routes.begin();
  std::advance(it, data[0] % routes.size());
  const std::string rest(reinterpret_cast<const char*>(data + 1), size - 1);
  csops::http::Request r;
  r.method = it->first.substr(0, it->first.find(' '));
  r.path = it->first.substr(it->first.find(' ') + 1);
  if (r.method == "GET") {
    r.query = csops::http::ParseQuery(rest);
  } else {
    r.body = rest;
  }
  r.peer = "127.0.0.1:1";
  r.peer_ip = "127.0.0.1";
  const csops::http::Response out = it->second(r);
  if (out.status >= 500) __builtin_trap();
  return 0;
}

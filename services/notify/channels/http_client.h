// A blocking HTTP(S) call through libcurl, for provider adapters. One call per invocation (no
// connection reuse across threads); thread-safe.
#pragma once

#include <string>
#include <vector>

namespace csops::notify {

struct HttpRequest {
  std::string method = "POST";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  int timeout_ms = 10000;
  std::string ca_file;
};

struct HttpResponse {
  long status = 0;  // 0 when no HTTP answer came
  std::string body;
  std::string error;  // transport problem, e.g. "timeout", "connection refused"
};

HttpResponse HttpCall(const HttpRequest& request);

// "a=1&b=x%20y" from pairs, percent-encoding values as application/x-www-form-urlencoded.
std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace csops::notify

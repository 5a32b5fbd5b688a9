// csopsd's pages on the HTTP listener. Pages are clients of the services' gRPC APIs like any
// other (DESIGN: services talk only through gRPC, even in one process):
//   GET /board/<branch>                display board for a TV in kiosk mode (HTML)
//   GET /board/<branch>/events         its live feed: Server-Sent Events from WatchBoard
//   GET /progress                      look-up form; with ?number=&code= the answer
//   GET /progress/<number>?code=       the receipt's QR target, mobile-first (HTML)
//   GET /api/v1/progress/<number>?code=  the same as JSON
//   GET /receipt/<number>?code=        printable acceptance receipt with a QR code (staff
//                                      networks only until API keys exist)
//   GET /static/<file>                 compiled-in CSS and JS
// Public pages show no personal data. A wrong code and an unknown number give the same page
// and status. Look-ups are rate-limited per client by the case service, which is told the
// browser's address (x-csops-client-ip) and believes it because the page calls with this
// process's own key (ServiceChannel); from any other caller the header is ignored.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/auth/client_auth.h"
#include "common/auth/policy.h"
#include "common/base/cidr.h"
#include "common/http/http_server.h"

namespace csops::web {

struct BranchInfo {
  std::string name_zh_tw, name_en, contact_department, contact_phone;
  std::string time_zone = "Asia/Taipei";  // IANA; the board shows the branch's local time
};

struct WebOptions {
  std::string public_base_url;  // no trailing '/'
  std::vector<std::string> marquee;
  std::vector<Cidr> staff_networks;
  int recent_calls = 8;
  int highlight_seconds = 8;
  int public_requests_per_minute = 120;        // per client address, on public page routes
  std::map<std::string, BranchInfo> branches;  // by id
  std::string time_zone = "Asia/Taipei";       // for times shown on pages
  bool queue = false;                          // board routes: the queue service is reachable
  bool cases = false;  // progress and receipt routes: the case service is reachable
};

// The gRPC channel pages call through; set once the gRPC server listens (pages answer 503
// until then).
class ServiceChannel {
 public:
  void Set(const auth::ServiceTarget& target);
  std::shared_ptr<grpc::Channel> Get() const;
  // Adds this process's credentials to a call the pages make.
  void Prepare(grpc::ClientContext* ctx) const;

 private:
  mutable std::mutex mu_;
  auth::ClientAuth auth_;                   // guarded by mu_
  std::shared_ptr<grpc::Channel> channel_;  // guarded by mu_
};

std::map<std::string, http::Handler> WebRoutes(const WebOptions& options,
                                               std::shared_ptr<ServiceChannel> channel);

// Requests per client address in a sliding minute; a client over `per_minute` is refused until
// its oldest request in the window is a minute old. Thread-safe.
class RequestRate {
 public:
  explicit RequestRate(int per_minute) : per_minute_(per_minute) {}
  bool Allow(const std::string& client);

 private:
  const int per_minute_;
  std::mutex mu_;
  std::map<std::string, std::deque<std::chrono::steady_clock::time_point>> seen_;  // by mu_
  std::chrono::steady_clock::time_point last_sweep_{};                             // by mu_
};

// Parts shared by the route files.
// The pages' entries of the access table (policy.h): the board, the progress look-up and
// static files are public; a printed acceptance receipt is for the office's staff.
std::vector<auth::AccessRule> WebAccessRules();

namespace internal {
// A whole HTML page: lang attribute, viewport, the shared stylesheet, `body` inside <body>.
std::string Page(const std::string& lang, const std::string& title, const std::string& body,
                 const std::string& head_extra = "", const std::string& body_attrs = "");
http::Response Html(int status, std::string body);
http::Response Json(int status, std::string body);
// The last path segment after `prefix` (e.g. "/board/" -> "taipei-south"); "" if it has '/'.
std::string Tail(const std::string& path, const std::string& prefix);
std::map<std::string, http::Handler> BoardRoutes(const WebOptions& o,
                                                 std::shared_ptr<ServiceChannel> channel);
std::map<std::string, http::Handler> ProgressRoutes(const WebOptions& o,
                                                    std::shared_ptr<ServiceChannel> channel);
std::map<std::string, http::Handler> ReceiptRoutes(const WebOptions& o,
                                                   std::shared_ptr<ServiceChannel> channel);
}  // namespace internal

}  // namespace csops::web

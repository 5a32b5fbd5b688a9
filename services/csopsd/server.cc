#include "services/csopsd/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "common/auth/access_control.h"
#include "common/auth/api_key.h"
#include "common/auth/client_auth.h"
#include "common/auth/client_quota.h"
#include "common/auth/grpc_access.h"
#include "common/auth/http_access.h"
#include "common/base/cidr.h"
#include "common/base/log.h"
#include "common/config/calendar_coverage.h"
#include "common/grpc/grpc_metrics_interceptor.h"
#include "common/grpc/request_parse_errors.h"
#include "common/http/http_server.h"
#include "common/http/metrics_route.h"
#include "common/postgres/membership.h"
#include "services/case/case_module.h"
#include "services/csopsd/access_table.h"
#include "services/csopsd/admin_service.h"
#include "services/csopsd/data_dir_lock.h"
#include "services/csopsd/security.h"
#include "services/notify/notify_module.h"
#include "services/queue/queue_module.h"
#include "services/web/web_routes.h"

namespace csops::csopsd {

struct Server::State {
  std::unique_ptr<DataDirLock> lock;
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  // /metrics on metrics_listen: the same route and access check as on the web listener.
  std::unique_ptr<http::HttpServer> metrics_web;
  std::shared_ptr<metrics::Collectables> collectables = std::make_shared<metrics::Collectables>();
  std::unique_ptr<AdminService> admin;
  std::shared_ptr<auth::AccessControl> access;
  std::unique_ptr<queue::QueueModule> queue;
  std::unique_ptr<cases::CaseModule> cases;
  std::unique_ptr<notify::NotifyModule> notify;
  // On PostgreSQL: this replica's row among the replicas sharing the database.
  std::unique_ptr<postgres::Membership> membership;
  std::unique_ptr<http::HttpServer> web;
  std::string http_address;
  std::unique_ptr<grpc::Server> grpc_server;
  std::string grpc_address;
  std::string metrics_address;  // "" when metrics_listen is "off"
  std::string scheme = "http";  // of the web listener: "https" with server.tls
  bool stopped = false;
  // On PostgreSQL: follows each module's database and turns its health NOT_SERVING while the
  // server is out of reach (the overall "" service too), SERVING again once it is back.
  std::thread store_watch;
  std::mutex watch_mu;
  std::condition_variable watch_cv;
  bool watch_stop = false;  // guarded by watch_mu

  void WatchStores(const std::vector<Target>& targets);
  void StopWatchingStores();
};

void Server::State::WatchStores(const std::vector<Target>& targets) {
  store_watch = std::thread([this, targets] {
    std::map<Target, bool> serving;
    for (Target t : targets) serving[t] = true;
    bool all = true;
    std::unique_lock l(watch_mu);
    while (!watch_cv.wait_for(l, std::chrono::milliseconds(250), [&] { return watch_stop; })) {
      auto* health = grpc_server->GetHealthCheckService();
      bool now_all = true;
      for (auto& [t, was] : serving) {
        bool up = t == Target::kQueue  ? queue->store_available()
                  : t == Target::kCase ? cases->store_available()
                                       : notify->store_available();
        if (up != was) {
          health->SetServingStatus(HealthServiceName(t), up);
          if (up) {
            CSOPS_LOG(kInfo, "health_serving").Kv("service", HealthServiceName(t));
          } else {
            CSOPS_LOG(kError, "health_not_serving")
                .Kv("service", HealthServiceName(t))
                .Kv("why", "database out of reach");
          }
          was = up;
        }
        now_all = now_all && up;
      }
      if (now_all != all) health->SetServingStatus("", now_all);
      all = now_all;
    }
  });
}

void Server::State::StopWatchingStores() {
  {
    std::lock_guard l(watch_mu);
    watch_stop = true;
  }
  watch_cv.notify_all();
  if (store_watch.joinable()) store_watch.join();
}

namespace {

std::string HostOf(const std::string& address) { return address.substr(0, address.rfind(':')); }

std::string FormatDay(absl::CivilDay d) {
  std::ostringstream s;
  s << d;
  return s.str();
}

}  // namespace

Server::Server(std::unique_ptr<State> state) : state_(std::move(state)) {}
Server::~Server() {
  if (state_ && !state_->stopped) Shutdown(std::chrono::seconds(0));
}
const std::string& Server::grpc_address() const { return state_->grpc_address; }
const std::string& Server::metrics_address() const { return state_->metrics_address; }
const std::string& Server::http_address() const { return state_->http_address; }
std::string Server::web_url() const { return state_->scheme + "://" + state_->http_address; }
std::string Server::metrics_url() const {
  return state_->metrics_address.empty() ? web_url() + "/metrics"
                                         : "http://" + state_->metrics_address + "/metrics";
}

namespace {

// The database of service `name`: <data_dir>/<name>.db, or its schema (csops_<name>) of the
// PostgreSQL database when storage.postgres is set.
StorageOptions StorageFor(const LoadedConfig& config, const std::string& data_dir,
                          const std::string& name, const std::string& replica_id) {
  const auto& st = config.proto.storage();
  StorageOptions o;
  o.replica_id = replica_id;
  o.sqlite.path = data_dir + "/" + name + ".db";
  o.sqlite.name = name;
  o.sqlite.synchronous = st.synchronous() == config::v1::NORMAL ? sqlite::Synchronous::kNormal
                                                                : sqlite::Synchronous::kFull;
  o.sqlite.max_batch = st.max_batch();
  o.sqlite.read_connections = st.read_connections();
  o.sqlite.busy_timeout_ms = st.busy_timeout_ms();
  if (st.has_postgres()) {
    postgres::DatabaseOptions pg;
    pg.dsn = config.postgres_dsn;
    pg.name = name;
    pg.schema = "csops_" + name;
    pg.pool_size = st.postgres().pool_size();
    pg.acquire_timeout_ms = st.postgres().acquire_timeout_ms();
    pg.connect_timeout_ms = st.postgres().connect_timeout_seconds() * 1000;
    pg.max_batch = st.postgres().max_batch();
    o.postgres = std::move(pg);
  }
  return o;
}

bool Runs(const Flags& flags, Target t) {
  return std::find(flags.targets.begin(), flags.targets.end(), t) != flags.targets.end();
}

// What the pages need from the config.
web::WebOptions PageOptions(const LoadedConfig& config, bool queue, bool cases) {
  const auto& c = config.proto;
  web::WebOptions o;
  o.public_base_url = c.server().public_base_url();
  o.marquee.assign(c.web().marquee().begin(), c.web().marquee().end());
  for (const std::string& n : c.web().staff_networks())
    if (auto cidr = ParseCidr(n); cidr.ok()) o.staff_networks.push_back(*cidr);  // validated
  o.recent_calls = c.web().board_recent_calls();
  o.highlight_seconds = c.web().board_highlight_seconds();
  o.public_requests_per_minute = c.web().public_requests_per_minute();
  for (const auto& b : c.branches())
    o.branches[b.id()] = {b.name_zh_tw(), b.name_en(), b.contact_department(), b.contact_phone(),
                          b.time_zone().empty() ? "Asia/Taipei" : b.time_zone()};
  if (c.branches_size() > 0 && !c.branches(0).time_zone().empty())
    o.time_zone = c.branches(0).time_zone();
  o.queue = queue;
  o.cases = cases;
  return o;
}

// The address this process reaches its own gRPC server at ("0.0.0.0" listens everywhere).
std::string LoopbackFor(const std::string& host) {
  if (host == "0.0.0.0" || host.empty()) return "127.0.0.1";
  if (host == "[::]" || host == "::") return "[::1]";
  return host;
}

}  // namespace

Result<std::unique_ptr<Server>> Server::Start(
    const LoadedConfig& config, const Flags& flags,
    std::vector<std::shared_ptr<const queue::BranchModel>> branches, cases::CaseConfig cases,
    notify::NotifyConfig notify) {
  auto st = std::make_unique<State>();
  const std::string relay_target = notify.relay_target;  // `notify` moves into its module
  const auto supervisor_emails = notify.supervisor_emails;
  const auto& server_cfg = config.proto.server();
  std::vector<Cidr> proxies;  // server.trusted_proxies, validated by LoadConfig
  for (const std::string& n : server_cfg.trusted_proxies())
    if (auto cidr = ParseCidr(n); cidr.ok()) proxies.push_back(*cidr);
  const std::string listen = flags.listen.value_or(server_cfg.listen());
  const std::string metrics_listen = flags.metrics_listen.value_or(server_cfg.metrics_listen());
  const std::string data_dir = flags.data_dir.value_or(server_cfg.data_dir());

  auto lock = DataDirLock::Acquire(data_dir);
  if (!lock.ok()) return lock.status();
  st->lock = std::move(*lock);
  const bool on_postgres = config.proto.storage().has_postgres();
  // Unique and stable on its own: the data directory is locked to this one process.
  const std::string replica_id = !on_postgres ? std::string()
                                 : server_cfg.replica_id().empty()
                                     ? postgres::DefaultReplicaId(postgres::HostName(), data_dir)
                                     : server_cfg.replica_id();

  auto tls = ReadTls(config);
  if (!tls.ok()) return tls.status();
  if (tls->on) st->scheme = "https";
  if (tls->on && metrics_listen != "off")
    return Status::InvalidArgument("--metrics-listen must be off with server.tls");
  auto table = BuildAccessTable();
  if (!table.ok()) return table.status();
  auto access_rw =
      std::make_shared<auth::AccessControl>(config.proto.auth(), std::move(*table), *st->registry);
  // How this process calls csops services: its own gRPC server (pages, relays) and others.
  auth::ClientAuth self_auth;
  if (access_rw->enabled()) {
    auto key = ServiceKey(config, *access_rw);
    if (!key.ok()) return key.status();
    self_auth.api_key = *key;
  } else {
    CSOPS_LOG(kWarning, "access_control_off")
        .Kv("why", "auth.keys is empty: every caller may do everything (development only)");
    // Still a key of its own: it alone tells this process's pages apart, the only callers that
    // may name the browser a look-up is for (client_quota.h).
    self_auth.api_key = auth::NewApiKey();
    access_rw->AddKey(self_auth.api_key, "system", config::v1::SERVICE);
  }
  if (tls->on) {
    self_auth.tls = true;
    self_auth.ca_pem = tls->ca;
    if (!tls->client_ca.empty()) {  // mutual TLS: this process presents its own certificate
      self_auth.cert_pem = tls->cert;
      self_auth.key_pem = tls->key;
    }
  }
  st->access = access_rw;
  std::shared_ptr<const auth::AccessControl> access = access_rw;

  // /metrics first: a port clash is reported before any service starts. Served by csopsd's
  // own HTTP server and guarded like every route, so Bearer and Basic keys both work here too.
  st->collectables->Add(st->registry);
  if (metrics_listen != "off") {
    auto guarded =
        auth::GuardRoutes({{"GET /metrics", metrics::MetricsRoute(st->collectables)}}, access);
    if (!guarded.ok()) return guarded.status();
    auto listener = http::HttpServer::Start(metrics_listen, std::move(*guarded), 16);
    if (!listener.ok()) {
      const std::string why = listener.status().message();  // "http_listen <addr>: <why>"
      const auto colon = why.find(": ");
      return Status(listener.status().code(),
                    "metrics_listen " + metrics_listen + ": " +
                        (colon == std::string::npos ? why : why.substr(colon + 2)));
    }
    st->metrics_web = std::move(*listener);
    st->metrics_address = HostOf(metrics_listen) + ":" + std::to_string(st->metrics_web->port());
  }
  metrics::ExportCalendarCoverage(*st->registry, config.calendars);
  prometheus::BuildGauge()
      .Name("csops_build_info")
      .Help("Always 1; labels carry the version and the targets of this process")
      .Register(*st->registry)
      .Add({{"version", kVersion}, {"targets", JoinTargetNames(flags.targets)}})
      .Set(1);

  ServerInfo info{kVersion, flags.targets, RealClock::Get().Now(), {}, replica_id, nullptr};
  if (on_postgres)
    info.replicas = [s = st.get()]() -> Result<std::vector<postgres::ReplicaRecord>> {
      return s->membership->List();  // joined before the gRPC server takes calls
    };
  for (const auto& [name, cal] : config.calendars)
    info.calendars.push_back({name, cal->time_zone_name(), FormatDay(cal->covers_until())});
  st->admin = std::make_unique<AdminService>(std::move(info));

  if (Runs(flags, Target::kQueue)) {
    if (branches.empty()) CSOPS_LOG(kWarning, "queue_without_branches").Kv("config", config.path);
    auto q = queue::QueueModule::Start(StorageFor(config, data_dir, "queue", replica_id),
                                       std::move(branches), *st->registry, RealClock::Get());
    if (!q.ok()) return q.status().WithContext("queue");
    st->queue = std::move(*q);
  }

  if (Runs(flags, Target::kCase)) {
    auto c =
        cases::CaseModule::Start(StorageFor(config, data_dir, "case", replica_id), std::move(cases),
                                 RealClock::Get(), server_cfg.public_base_url(), *st->registry);
    if (!c.ok()) return c.status().WithContext("case");
    st->cases = std::move(*c);
    st->collectables->Add(st->cases->open_collector());
  }

  if (Runs(flags, Target::kNotify)) {
    auto n =
        notify::NotifyModule::Start(StorageFor(config, data_dir, "notify", replica_id),
                                    std::move(notify), RealClock::Get(), data_dir, *st->registry);
    if (!n.ok()) return n.status().WithContext("notify");
    st->notify = std::move(*n);
    st->collectables->Add(st->notify->queue_collector());
  }

  // Web endpoints: provider receipts for the notify service, and the pages (which call this
  // process's gRPC API once it listens).
  auto pages = std::make_shared<web::ServiceChannel>();
  {
    std::map<std::string, http::Handler> routes;
    routes["GET /healthz"] = [](const http::Request&) {
      return http::Response{200, "text/plain; charset=utf-8", "ok\n", {}, {}};
    };
    if (st->notify) routes.merge(st->notify->receipt_routes());
    // The same metrics as on metrics_listen, so one port can serve everything HTTP.
    routes["GET /metrics"] = metrics::MetricsRoute(st->collectables);
    routes.merge(
        web::WebRoutes(PageOptions(config, st->queue != nullptr, st->cases != nullptr), pages));
    auto guarded = auth::GuardRoutes(std::move(routes), access);
    if (!guarded.ok()) return guarded.status();
    const std::string http_listen = flags.http_listen.value_or(server_cfg.http_listen());
    http::TlsFiles web_tls{tls->cert, tls->key};
    auto web = http::HttpServer::Start(http_listen, std::move(*guarded), 256,
                                       tls->on ? &web_tls : nullptr, proxies);
    if (!web.ok()) return web.status();
    st->web = std::move(*web);
    st->http_address = HostOf(http_listen) + ":" + std::to_string(st->web->port());
  }

  if (on_postgres) {
    postgres::MembershipOptions m;
    m.database.dsn = config.postgres_dsn;
    m.database.connect_timeout_ms =
        config.proto.storage().postgres().connect_timeout_seconds() * 1000;
    m.self = {replica_id, postgres::HostName(), kVersion, JoinTargetNames(flags.targets)};
    m.heartbeat = std::chrono::milliseconds(config.proto.storage().postgres().heartbeat_ms());
    m.registry = st->registry.get();
    auto joined = postgres::Membership::Join(std::move(m));
    if (!joined.ok()) return joined.status();
    st->membership = std::move(*joined);
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, GrpcCredentials(*tls), &port);
  builder.SetMaxReceiveMessageSize(server_cfg.max_message_bytes());
  auto streams = std::make_shared<StreamQuota>(server_cfg.max_streams_per_client());
  if (st->queue) st->queue->SetClientPolicy(streams, proxies);
  if (st->cases) st->cases->SetClientPolicy(streams, proxies);
  builder.RegisterService(st->admin.get());
  if (st->queue) builder.RegisterService(st->queue->service());
  if (st->cases) builder.RegisterService(st->cases->service());
  if (st->notify) builder.RegisterService(st->notify->service());
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  // First: the status it corrects is the one the others (metrics) see.
  interceptors.push_back(std::make_unique<grpcx::RequestParseErrorInterceptorFactory>());
  interceptors.push_back(std::make_unique<auth::GrpcAccessInterceptorFactory>(access));
  interceptors.push_back(std::make_unique<metrics::GrpcMetricsInterceptorFactory>(*st->registry));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  st->grpc_server = builder.BuildAndStart();
  if (!st->grpc_server || port == 0)
    return Status::Unavailable("listen " + listen + ": cannot listen (address in use?)");
  st->grpc_address = HostOf(listen) + ":" + std::to_string(port);
  pages->Set({LoopbackFor(HostOf(listen)) + ":" + std::to_string(port), self_auth});

  // Outbox relays start once this process's gRPC server answers (notify may be in it).
  const auth::ServiceTarget notify_target{
      relay_target.empty() ? LoopbackFor(HostOf(listen)) + ":" + std::to_string(port)
                           : relay_target,
      self_auth};
  if (relay_target.empty() && !st->notify && (st->queue || st->cases)) {
    // Rows wait in the outboxes (nothing is lost) until a process relays them.
    CSOPS_LOG(kWarning, "outbox_relay_off")
        .Kv("why", "no notify target in this process and notify.relay_target is unset");
  } else {
    if (st->queue) st->queue->StartRelay(notify_target, *st->registry);
    if (st->cases) st->cases->StartRelay(notify_target, supervisor_emails, *st->registry);
  }
  // Plan tasks (dunning calls and visits) become cases: in this process or at relay_target.
  if (st->notify && (st->cases || !relay_target.empty())) st->notify->StartTaskRelay(notify_target);

  auto* health = st->grpc_server->GetHealthCheckService();
  for (Target t : flags.targets) health->SetServingStatus(HealthServiceName(t), true);
  health->SetServingStatus("", true);
  if (config.proto.storage().has_postgres()) st->WatchStores(flags.targets);
  return std::unique_ptr<Server>(new Server(std::move(st)));
}

Status Server::ReloadAuth(const config::v1::AuthConfig& auth) {
  return state_->access->Reload(auth);
}

Status Server::ReloadCases(cases::CaseConfig cases) {
  if (!state_->cases) return Status();
  return state_->cases->Reload(std::move(cases));
}

void Server::Shutdown(std::chrono::seconds grace) {
  if (state_->stopped) return;
  state_->stopped = true;
  state_->StopWatchingStores();
  // Load balancers and csopsctl see NOT_SERVING while in-flight calls drain.
  state_->grpc_server->GetHealthCheckService()->Shutdown();
  // Pages first: their board streams are WatchBoard calls that would hold the grace period.
  if (state_->web) state_->web->Stop();
  state_->grpc_server->Shutdown(std::chrono::system_clock::now() + grace);
  state_->grpc_server->Wait();
  // No scrape may reach a module's collector once the module has stopped.
  if (state_->metrics_web) state_->metrics_web->Stop();
  if (state_->queue) state_->queue->Stop();  // flushes queue.db's writer
  if (state_->cases) state_->cases->Stop();  // and case.db's
  if (state_->notify) {
    state_->notify->Stop();  // dispatch stops; calls in flight are recorded; notify.db flushed
  }
  state_->metrics_web.reset();
  // Last: until now this replica held its leases; from here the others need not wait for them.
  if (state_->membership) state_->membership->Leave();
  state_->lock.reset();
}

}  // namespace csops::csopsd

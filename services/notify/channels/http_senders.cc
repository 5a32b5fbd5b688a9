#include "services/notify/channels/http_senders.h"

#include <nlohmann/json.hpp>
#include <sstream>

#include "services/notify/channels/http_client.h"

namespace csops::notify {
namespace {

using Json = nlohmann::json;

// The outcome of a non-2xx answer or of no answer.
SendOutcome Failure(const HttpResponse& r) {
  if (r.status == 0) return SendOutcome::Transient(r.error.empty() ? "no answer" : r.error);
  const std::string what = "HTTP " + std::to_string(r.status);
  if (r.status == 408 || r.status == 429 || r.status >= 500) return SendOutcome::Transient(what);
  return SendOutcome::Permanent(what);
}

bool Ok(const HttpResponse& r) { return r.status >= 200 && r.status < 300; }

SendOutcome JsonIdReply(const HttpResponse& r) {
  if (!Ok(r)) return Failure(r);
  return ParseJsonIdReply(r.body);
}

HttpRequest JsonPost(const ProviderModel& p, const Json& body) {
  HttpRequest req;
  req.url = p.url;
  req.headers = {"Content-Type: application/json"};
  if (!p.bearer_token.empty()) req.headers.push_back("Authorization: Bearer " + p.bearer_token);
  req.body = body.dump();
  req.timeout_ms = p.timeout_ms;
  req.ca_file = p.ca_file;
  return req;
}

}  // namespace

SendOutcome ParseJsonIdReply(const std::string& body) {
  const Json j = Json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("id") || !(j["id"].is_string() || j["id"].is_number()))
    return SendOutcome::Transient("malformed reply (no id)");
  std::string id = j["id"].is_string() ? j["id"].get<std::string>() : j["id"].dump();
  // An empty id could never be matched by a receipt (found by fuzz_provider_replies).
  if (id.empty()) return SendOutcome::Transient("malformed reply (empty id)");
  return SendOutcome::Ok(std::move(id));
}

SendOutcome MitakeSmsSender::Send(const OutgoingMessage& m) {
  if (m.recipient.mobile.empty()) return SendOutcome::Permanent("no mobile number");
  HttpRequest req;
  req.url = p_.url;
  req.headers = {"Content-Type: application/x-www-form-urlencoded"};
  req.body = FormEncode({{"username", p_.username},
                         {"password", p_.password},
                         {"dstaddr", m.recipient.mobile},
                         {"smbody", m.message.short_text},
                         {"clientid", m.client_id}});
  req.timeout_ms = p_.timeout_ms;
  req.ca_file = p_.ca_file;
  const HttpResponse r = HttpCall(req);
  if (!Ok(r)) return Failure(r);
  return ParseMitakeReply(r.body);
}

SendOutcome ParseMitakeReply(const std::string& body) {
  std::string status, msgid, error;
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "statuscode") status = value;
    if (key == "msgid") msgid = value;
    if (key == "Error") error = value;
  }
  if (status.empty()) return SendOutcome::Transient("malformed reply (no statuscode)");
  if (status == "0" || status == "1" || status == "2" || status == "4") {
    if (msgid.empty()) return SendOutcome::Transient("malformed reply (no msgid)");
    return SendOutcome::Ok(msgid);
  }
  return SendOutcome::Permanent("statuscode " + status.substr(0, 8) +
                                (error.empty() ? "" : ": " + error.substr(0, 100)));
}

SendOutcome JsonSmsSender::Send(const OutgoingMessage& m) {
  if (m.recipient.mobile.empty()) return SendOutcome::Permanent("no mobile number");
  return JsonIdReply(HttpCall(JsonPost(
      p_,
      {{"to", m.recipient.mobile}, {"text", m.message.short_text}, {"client_id", m.client_id}})));
}

SendOutcome VoiceSender::Send(const OutgoingMessage& m) {
  if (m.recipient.mobile.empty()) return SendOutcome::Permanent("no phone number");
  return JsonIdReply(HttpCall(JsonPost(p_, {{"to", m.recipient.mobile},
                                            {"text", m.message.short_text},
                                            {"callback_url", p_.callback_url},
                                            {"client_id", m.client_id}})));
}

SendOutcome FcmSender::Send(const OutgoingMessage& m) {
  if (m.recipient.push_tokens.empty()) return SendOutcome::Permanent("no live app installation");
  std::string url = p_.url;
  if (!url.empty() && url.back() == '/') url.pop_back();
  url += "/v1/projects/" + p_.project_id + "/messages:send";
  Json data = Json::object();
  for (const auto& [k, v] : m.variables) data[k] = v;  // FCM data values are strings
  data["kind"] = m.kind;
  std::optional<SendOutcome> ok, transient, permanent;
  std::vector<std::string> invalid;
  for (const std::string& token : m.recipient.push_tokens) {
    HttpRequest req = JsonPost(
        p_, {{"message",
              {{"token", token},
               {"notification", {{"title", m.message.subject}, {"body", m.message.short_text}}},
               {"data", data}}}});
    req.url = url;
    const HttpResponse r = HttpCall(req);
    if (Ok(r)) {
      const Json j = Json::parse(r.body, nullptr, false);
      if (j.is_object() && j.contains("name") && j["name"].is_string()) {
        if (!ok) ok = SendOutcome::Ok(j["name"].get<std::string>());
      } else {
        transient = SendOutcome::Transient("malformed reply (no name)");
      }
      continue;
    }
    const Json j = Json::parse(r.body, nullptr, false);
    std::string code;
    if (j.is_object() && j.contains("error") && j["error"].is_object())
      code = j["error"].value("status", "");
    if (r.status == 404 || code == "UNREGISTERED" ||
        (r.status == 400 && code == "INVALID_ARGUMENT")) {
      invalid.push_back(token);
      permanent = SendOutcome::Permanent("token " + (code.empty() ? "not found" : code));
      continue;
    }
    SendOutcome f = Failure(r);
    (f.kind == OutcomeKind::kTransient ? transient : permanent) = f;
  }
  SendOutcome out = ok ? *ok : transient ? *transient : *permanent;
  out.invalid_tokens = std::move(invalid);
  return out;
}

}  // namespace csops::notify

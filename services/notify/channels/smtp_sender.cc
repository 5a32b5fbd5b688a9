#include "services/notify/channels/smtp_sender.h"

#include <curl/curl.h>

#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>

namespace csops::notify {
namespace {

std::string Base64(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63]};
  }
  if (i + 1 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += {t[v >> 18], t[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const unsigned v =
        (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], '='};
  }
  return out;
}

std::string RfcDate() {
  char buf[64];
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

struct Upload {
  const std::string* data;
  std::size_t pos = 0;
};

std::size_t Read(char* buf, std::size_t size, std::size_t n, void* arg) {
  auto* u = static_cast<Upload*>(arg);
  const std::size_t len = std::min(size * n, u->data->size() - u->pos);
  std::memcpy(buf, u->data->data() + u->pos, len);
  u->pos += len;
  return len;
}

}  // namespace

std::string SmtpSender::Compose(const std::string& from, const std::string& to,
                                const OutgoingMessage& m, const std::string& message_id,
                                const std::string& date) {
  std::string body64 = Base64(m.message.body);
  std::string wrapped;
  for (std::size_t i = 0; i < body64.size(); i += 76) wrapped += body64.substr(i, 76) + "\r\n";
  return "Date: " + date + "\r\n" + "From: " + from + "\r\n" + "To: " + to + "\r\n" +
         "Message-ID: " + message_id + "\r\n" + "Subject: =?UTF-8?B?" + Base64(m.message.subject) +
         "?=\r\n" + "MIME-Version: 1.0\r\n" + "Content-Type: text/plain; charset=UTF-8\r\n" +
         "Content-Transfer-Encoding: base64\r\n" + "X-Csops-Kind: " + m.kind + "\r\n\r\n" + wrapped;
}

SendOutcome SmtpSender::Send(const OutgoingMessage& m) {
  if (m.recipient.email.empty()) return SendOutcome::Permanent("no e-mail address");
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  const std::string domain = p_.from.substr(p_.from.find('@') + 1);
  const std::string message_id = "<" + m.client_id + "@" + domain + ">";
  const std::string text = Compose(p_.from, m.recipient.email, m, message_id, RfcDate());
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return SendOutcome::Transient("curl_easy_init failed");
  CURL* c = curl.get();
  curl_slist* rcpt = curl_slist_append(nullptr, ("<" + m.recipient.email + ">").c_str());
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> rcpt_guard(rcpt, curl_slist_free_all);
  Upload upload{&text};
  curl_easy_setopt(c, CURLOPT_URL, p_.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(p_.timeout_ms));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(p_.timeout_ms));
  curl_easy_setopt(c, CURLOPT_USE_SSL, p_.require_tls ? CURLUSESSL_ALL : CURLUSESSL_TRY);
  if (!p_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, p_.ca_file.c_str());
  if (!p_.username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, p_.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, p_.password.c_str());
  }
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, ("<" + p_.from + ">").c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, Read);
  curl_easy_setopt(c, CURLOPT_READDATA, &upload);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  const CURLcode rc = curl_easy_perform(c);
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  if (rc == CURLE_OK) return SendOutcome::Ok(message_id);
  const std::string what =
      std::string(curl_easy_strerror(rc)) + (code ? " (SMTP " + std::to_string(code) + ")" : "");
  if (code >= 500 || rc == CURLE_LOGIN_DENIED || rc == CURLE_USE_SSL_FAILED)
    return SendOutcome::Permanent(what);
  return SendOutcome::Transient(what);
}

}  // namespace csops::notify

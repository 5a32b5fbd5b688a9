#include "common/base/cidr.h"

#include <arpa/inet.h>

#include <cstring>

namespace csops {
namespace {

// Parses a literal address into bytes; IPv4-mapped IPv6 becomes IPv4.
bool ParseAddress(std::string text, bool* v4, std::array<std::uint8_t, 16>* bytes) {
  bytes->fill(0);
  if (text.size() > 2 && text.front() == '[' && text.back() == ']')
    text = text.substr(1, text.size() - 2);
  in_addr a4{};
  if (inet_pton(AF_INET, text.c_str(), &a4) == 1) {
    *v4 = true;
    std::memcpy(bytes->data(), &a4, 4);
    return true;
  }
  in6_addr a6{};
  if (inet_pton(AF_INET6, text.c_str(), &a6) != 1) return false;
  static const std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(a6.s6_addr, kMapped, 12) == 0) {
    *v4 = true;
    std::memcpy(bytes->data(), a6.s6_addr + 12, 4);
    return true;
  }
  *v4 = false;
  std::memcpy(bytes->data(), a6.s6_addr, 16);
  return true;
}

}  // namespace

Result<Cidr> ParseCidr(const std::string& text) {
  const auto slash = text.find('/');
  if (slash == std::string::npos)
    return Status::InvalidArgument("'" + text + "' is not address/prefix, e.g. 10.20.0.0/16");
  Cidr c;
  if (!ParseAddress(text.substr(0, slash), &c.v4, &c.bytes))
    return Status::InvalidArgument("'" + text + "': not an IP address");
  const std::string bits = text.substr(slash + 1);
  const int max = c.v4 ? 32 : 128;
  if (bits.empty() || bits.size() > 3 ||
      bits.find_first_not_of("0123456789") != std::string::npos || std::stoi(bits) > max)
    return Status::InvalidArgument("'" + text + "': the prefix must be 0-" + std::to_string(max));
  c.prefix = std::stoi(bits);
  return c;
}

bool InAnyNetwork(const std::string& ip, const std::vector<Cidr>& networks) {
  bool v4 = false;
  std::array<std::uint8_t, 16> bytes{};
  if (!ParseAddress(ip, &v4, &bytes)) return false;
  for (const Cidr& n : networks) {
    if (n.v4 != v4) continue;
    int left = n.prefix;
    bool match = true;
    for (int i = 0; left > 0 && match; ++i, left -= 8) {
      const std::uint8_t mask = left >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - left));
      match = (bytes[i] & mask) == (n.bytes[i] & mask);
    }
    if (match) return true;
  }
  return false;
}

std::string ClientAddress(const std::string& peer_ip, std::string_view forwarded_for,
                          const std::vector<Cidr>& trusted_proxies) {
  std::string client = peer_ip;
  if (!InAnyNetwork(client, trusted_proxies)) return client;
  std::string_view rest = forwarded_for;
  while (!rest.empty()) {
    const std::size_t comma = rest.rfind(',');
    std::string_view entry = comma == std::string_view::npos ? rest : rest.substr(comma + 1);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
    const std::size_t first = entry.find_first_not_of(" \t");
    if (first == std::string_view::npos) continue;  // "a, , b": an empty element is skipped
    entry = entry.substr(first, entry.find_last_not_of(" \t") - first + 1);
    bool v4 = false;
    std::array<std::uint8_t, 16> bytes{};
    if (entry.size() > 45 || !ParseAddress(std::string(entry), &v4, &bytes)) break;
    client = std::string(entry);
    if (!InAnyNetwork(client, trusted_proxies)) break;
  }
  return client;
}

}  // namespace csops

// IP networks in CIDR notation ("10.20.0.0/16", "::1/128"), for allow-lists such as the staff
// networks that may open staff pages, and the client's own address behind trusted reverse proxies.
// An IPv4 client seen as "::ffff:a.b.c.d" matches IPv4 networks.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/status.h"

namespace csops {

struct Cidr {
  bool v4 = true;
  std::array<std::uint8_t, 16> bytes{};  // the first 4 for IPv4
  int prefix = 32;
};

// kInvalidArgument with the reason for anything but "address/prefix" with a valid prefix.
Result<Cidr> ParseCidr(const std::string& text);

// True when `ip` (a literal address, no port) lies in any of `networks`.
bool InAnyNetwork(const std::string& ip, const std::vector<Cidr>& networks);

// The address of the client a request came from, for limits, allow-lists and logs.
// `peer_ip` is the address of the socket's other end; `forwarded_for` the X-Forwarded-For value
// ("client, proxy1, proxy2": each proxy appends the address it was called from; repeated
// headers joined with ","). Only when `peer_ip` lies in `trusted_proxies` is the header read,
// from the right: the first entry that is not itself a trusted proxy is the client. Reading stops
// at an entry that is not a literal IP address (a port, "unknown", garbage): the client is then
// the last trusted hop read. So the answer is never an address a client chose for itself, as
// long as every trusted proxy appends rather than passes the header on (nginx:
// $proxy_add_x_forwarded_for). Without trusted proxies, or from any other peer: `peer_ip`.
std::string ClientAddress(const std::string& peer_ip, std::string_view forwarded_for,
                          const std::vector<Cidr>& trusted_proxies);

}  // namespace csops

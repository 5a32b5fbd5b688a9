// IP networks in CIDR notation ("10.20.0.0/16", "::1/128"), for allow-lists such as the staff
// networks that may open staff pages. An IPv4 client seen as "::ffff:a.b.c.d" matches IPv4
// networks.
#pragma once

#include <array>
#include <cstdint>
#include <string>
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

}  // namespace csops

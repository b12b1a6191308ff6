// feeds/ip_prefix.h — IPv4/IPv6 address and CIDR text parsing shared by every feed format.
// Strict on ambiguity (leading zeros, bad lengths) but masks host bits, as real feeds set them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "feeds/ioc.h"

namespace iocgate {

struct IpPrefix {
  IocKind kind = IocKind::kIpv4;   // kIpv4 or kIpv6
  std::array<uint8_t, 16> addr{};  // network byte order, IPv4 in [0, 4), host bits zero
  uint8_t prefix_len = 0;          // 32/128 for a bare address
  bool is_cidr = false;            // written as addr/len
  bool host_bits_were_set = false; // the text had bits beyond the prefix; they were cleared
};

// Both return nullopt and set `error` (quoting the text) when `text` is not exactly one
// address of that family.
std::optional<std::array<uint8_t, 4>> parse_ipv4_address(std::string_view text, std::string& error);
std::optional<std::array<uint8_t, 16>> parse_ipv6_address(std::string_view text, std::string& error);

// An address or a CIDR of either family; the family is chosen by the presence of ':'.
std::optional<IpPrefix> parse_ip_prefix(std::string_view text, std::string& error);

// True when `text` can only have been meant as an IP address or CIDR (digits, dots and a
// slash; or hex digits and colons), so a failure should be reported as a bad address.
bool looks_like_ip(std::string_view text);

// The Ioc for a parsed prefix: a /32 or /128 written without a length is an address.
Ioc ioc_from_prefix(const IpPrefix& p, IocForm form);

}  // namespace iocgate

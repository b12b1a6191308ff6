// feeds/ioc_text.h — the canonical text of an IoC ("192.0.2.0/24", "2001:db8::1",
// "evil.example"): how guards quote entries and how `--force ENTRY` names them.
#pragma once

#include <string>

#include "feeds/ioc.h"

namespace iocgate {

// Addresses without a length for hosts, "/len" for prefixes, IPv6 compressed (RFC 5952).
std::string ioc_text(const Ioc& ioc);

// How a report counts it: "ipv4", "cidr4", "ipv6", "cidr6", "domain" or "url-host".
const char* ioc_kind_name(const Ioc& ioc);

}  // namespace iocgate

// feeds/ioc_value.h — a value whose kind the feed states (a "domain" column, an "ip:port"
// type) to its Ioc: one definition per kind, so every format validates a kind alike.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "feeds/ioc.h"

namespace iocgate {

// A domain name (normalized; see domain_name.h).
std::optional<Ioc> domain_ioc(std::string_view text, std::string& error);

// An address or a CIDR of either family.
std::optional<Ioc> prefix_ioc(std::string_view text, std::string& error);

// One address, never a range: for columns that list hosts.
std::optional<Ioc> address_ioc(std::string_view text, std::string& error);

// A port number 0..65535 written in decimal digits only; nullopt otherwise.
std::optional<uint16_t> parse_port(std::string_view digits);

// "HOST:PORT" or "[IPv6]:PORT" split into its host (brackets removed) and a port 0..65535.
// False with `error` when there is no port or it is not a number in range.
bool split_host_port(std::string_view text, std::string_view& host, uint16_t& port, std::string& error);

// "1.2.3.4:443", "[2001:db8::1]:443" -> the address: a port alone cannot be enforced.
std::optional<Ioc> address_port_ioc(std::string_view text, std::string& error);

}  // namespace iocgate

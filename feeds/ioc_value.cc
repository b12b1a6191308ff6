// feeds/ioc_value.cc — see ioc_value.h.
#include "feeds/ioc_value.h"

#include <fmt/format.h>

#include "feeds/domain_name.h"
#include "feeds/ip_prefix.h"

namespace iocgate {

std::optional<Ioc> domain_ioc(std::string_view text, std::string& error) {
  auto name = normalize_domain(text, error);
  if (!name) return std::nullopt;
  Ioc ioc;
  ioc.kind = IocKind::kDomain;
  ioc.form = IocForm::kDomain;
  ioc.domain = std::move(*name);
  return ioc;
}

std::optional<Ioc> prefix_ioc(std::string_view text, std::string& error) {
  auto p = parse_ip_prefix(text, error);
  if (!p) return std::nullopt;
  return ioc_from_prefix(*p, p->is_cidr ? IocForm::kCidr : IocForm::kAddress);
}

std::optional<Ioc> address_ioc(std::string_view text, std::string& error) {
  auto p = parse_ip_prefix(text, error);
  if (!p) return std::nullopt;
  if (p->is_cidr) {
    error = fmt::format("'{}' is a CIDR; this column holds one address", text);
    return std::nullopt;
  }
  return ioc_from_prefix(*p, IocForm::kAddress);
}

std::optional<uint16_t> parse_port(std::string_view digits) {
  if (digits.empty() || digits.size() > 5) return std::nullopt;
  unsigned value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 65535) return std::nullopt;
  return static_cast<uint16_t>(value);
}

bool split_host_port(std::string_view text, std::string_view& host, uint16_t& port, std::string& error) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    error = fmt::format("'{}' is not 'host:port'", text);
    return false;
  }
  host = text.substr(0, colon);
  std::string_view digits = text.substr(colon + 1);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') {
      error = fmt::format("'{}': an IPv6 address with a port is written '[address]:port'", text);
      return false;
    }
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    error = fmt::format("'{}': an IPv6 address with a port is written '[address]:port'", text);
    return false;
  }
  auto value = parse_port(digits);
  if (!value) {
    error = fmt::format("'{}': '{}' is not a port number", text, digits);
    return false;
  }
  port = *value;
  return true;
}

std::optional<Ioc> address_port_ioc(std::string_view text, std::string& error) {
  std::string_view host;
  uint16_t port = 0;
  if (!split_host_port(text, host, port, error)) return std::nullopt;
  return address_ioc(host, error);
}

}  // namespace iocgate

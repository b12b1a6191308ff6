// feeds/misp_attribute.cc — see misp_attribute.h.
#include "feeds/misp_attribute.h"

#include <fmt/format.h>

#include "feeds/domain_name.h"
#include "feeds/ip_prefix.h"
#include "feeds/url_host.h"

namespace iocgate {
namespace {

std::optional<Ioc> ip_ioc(std::string_view value, std::string& error) {
  auto p = parse_ip_prefix(value, error);
  if (!p) return std::nullopt;
  return ioc_from_prefix(*p, p->is_cidr ? IocForm::kCidr : IocForm::kAddress);
}

std::optional<Ioc> domain_ioc(std::string_view value, std::string& error) {
  auto name = normalize_domain(value, error);
  if (!name) return std::nullopt;
  Ioc ioc;
  ioc.kind = IocKind::kDomain;
  ioc.form = IocForm::kDomain;
  ioc.domain = std::move(*name);
  return ioc;
}

// "a|b" composite values (ip-dst|port, domain|ip): MISP joins the parts with one '|'.
bool split_pipe(std::string_view value, std::string_view& a, std::string_view& b) {
  size_t bar = value.find('|');
  if (bar == std::string_view::npos || value.find('|', bar + 1) != std::string_view::npos) return false;
  a = value.substr(0, bar);
  b = value.substr(bar + 1);
  return true;
}

}  // namespace

bool misp_attribute_iocs(std::string_view type, std::string_view value, std::vector<Ioc>& out,
                    bool& skip, std::string& error) {
  skip = false;
  if (type == "ip-src" || type == "ip-dst") {
    auto ioc = ip_ioc(value, error);
    if (!ioc) return false;
    out.push_back(std::move(*ioc));
    return true;
  }
  if (type == "ip-src|port" || type == "ip-dst|port") {
    std::string_view ip, port;
    if (!split_pipe(value, ip, port)) {
      error = fmt::format("'{}' is not 'address|port'", value);
      return false;
    }
    bool port_ok = !port.empty() && port.size() <= 5;
    for (char c : port) port_ok = port_ok && c >= '0' && c <= '9';
    if (!port_ok || std::stoi(std::string(port)) > 65535) {
      error = fmt::format("'{}': '{}' is not a port number", value, port);
      return false;
    }
    auto ioc = ip_ioc(ip, error);
    if (!ioc) return false;
    out.push_back(std::move(*ioc));
    return true;
  }
  if (type == "domain" || type == "hostname") {
    auto ioc = domain_ioc(value, error);
    if (!ioc) return false;
    out.push_back(std::move(*ioc));
    return true;
  }
  if (type == "domain|ip") {
    std::string_view name, ip;
    if (!split_pipe(value, name, ip)) {
      error = fmt::format("'{}' is not 'domain|address'", value);
      return false;
    }
    auto d = domain_ioc(name, error);
    if (!d) return false;
    auto a = ip_ioc(ip, error);
    if (!a) return false;
    out.push_back(std::move(*d));
    out.push_back(std::move(*a));
    return true;
  }
  if (type == "url") {
    auto ioc = ioc_from_url(value, true, error);
    if (!ioc) return false;
    out.push_back(std::move(*ioc));
    return true;
  }
  skip = true;
  return true;
}

}  // namespace iocgate

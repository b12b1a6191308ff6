// feeds/misp_attribute.cc — see misp_attribute.h.
#include "feeds/misp_attribute.h"

#include <fmt/format.h>

#include "feeds/ioc_value.h"
#include "feeds/url_host.h"

namespace iocgate {
namespace {

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
    auto ioc = prefix_ioc(value, error);
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
    if (!parse_port(port)) {
      error = fmt::format("'{}': '{}' is not a port number", value, port);
      return false;
    }
    auto ioc = prefix_ioc(ip, error);
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
    auto a = prefix_ioc(ip, error);
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

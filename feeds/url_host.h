// feeds/url_host.h — reduces a URL to its host, the only part of a URL a packet filter sees
// (plus SNI/Host, which carry the same name). Shared by plain lists, MISP 'url' and STIX url:value.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "feeds/ioc.h"

namespace iocgate {

// True when `text` begins with "scheme://" (RFC 3986 scheme characters).
bool has_url_scheme(std::string_view text);

// The host of `url` with userinfo, port, path, query and fragment removed; an IPv6 host
// is returned without its brackets. Without a scheme the text up to the first '/' is taken
// as the authority only when `scheme_optional` (MISP 'url' values often omit it).
std::optional<std::string_view> url_host(std::string_view url, bool scheme_optional, std::string& error);

// The IoC a URL stands for: its host as kIpv4/kIpv6 (/32, /128) or kDomain, form kUrlHost.
std::optional<Ioc> ioc_from_url(std::string_view url, bool scheme_optional, std::string& error);

}  // namespace iocgate

// feeds/feed_abusech.cc — abuse.ch CSV exports: Feodo Tracker (C2 addresses), ThreatFox
// (ip:port, domain, url; hashes counted) and the URLhaus dump (URLs, reduced to their host).
#include <fmt/format.h>

#include "feeds/abusech_csv.h"
#include "feeds/domain_name.h"
#include "feeds/feed_parser.h"
#include "feeds/ip_prefix.h"
#include "feeds/url_host.h"

namespace iocgate {
namespace {

// A single address, never a range: these exports list hosts.
std::optional<Ioc> host_address(std::string_view text, std::string& error) {
  auto p = parse_ip_prefix(text, error);
  if (!p) return std::nullopt;
  if (p->is_cidr) {
    error = fmt::format("'{}' is a CIDR; this column holds one address", text);
    return std::nullopt;
  }
  return ioc_from_prefix(*p, IocForm::kAddress);
}

// "1.2.3.4:443" or "[2001:db8::1]:443" -> the address; the port cannot be enforced alone.
std::optional<Ioc> address_with_port(std::string_view text, std::string& error) {
  std::string_view host = text;
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    error = fmt::format("'{}' is not 'address:port'", text);
    return std::nullopt;
  }
  host = text.substr(0, colon);
  std::string_view port = text.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  bool port_ok = !port.empty() && port.size() <= 5;
  for (char c : port) port_ok = port_ok && c >= '0' && c <= '9';
  if (!port_ok || std::stoul(std::string(port)) > 65535) {
    error = fmt::format("'{}': '{}' is not a port number", text, port);
    return std::nullopt;
  }
  return host_address(host, error);
}

std::optional<Ioc> domain_ioc(std::string_view text, std::string& error) {
  auto name = normalize_domain(text, error);
  if (!name) return std::nullopt;
  Ioc ioc;
  ioc.kind = IocKind::kDomain;
  ioc.form = IocForm::kDomain;
  ioc.domain = std::move(*name);
  return ioc;
}

}  // namespace

FeedParseResult parse_feodo_csv(std::string_view content, const ParseOptions& opts) {
  FeedParseResult result;
  result.feed.format = FeedFormat::kFeodoCsv;
  result.feed.advisory = "abuse.ch Feodo Tracker";
  read_abusech_csv(content, {"dst_ip"}, "Feodo Tracker CSV", opts, result, [&](const AbusechRow& row) {
    std::string error;
    auto ioc = host_address(row["dst_ip"], error);
    if (!ioc) return fmt::format("dst_ip: {}", error);
    ioc->line = row.line;
    if (row.has("malware")) ioc->label = row["malware"];
    result.feed.iocs.push_back(std::move(*ioc));
    return std::string();
  });
  return result;
}

FeedParseResult parse_threatfox_csv(std::string_view content, const ParseOptions& opts) {
  FeedParseResult result;
  result.feed.format = FeedFormat::kThreatfoxCsv;
  result.feed.advisory = "abuse.ch ThreatFox";
  read_abusech_csv(content, {"ioc_value", "ioc_type"}, "ThreatFox CSV", opts, result, [&](const AbusechRow& row) {
    const std::string& type = row["ioc_type"];
    const std::string& value = row["ioc_value"];
    std::string error;
    std::optional<Ioc> ioc;
    if (type == "ip:port") ioc = address_with_port(value, error);
    else if (type == "domain") ioc = domain_ioc(value, error);
    else if (type == "url") ioc = ioc_from_url(value, false, error);
    else {
      ++result.feed.skipped[type.empty() ? std::string("(no ioc_type)") : type];
      return std::string();
    }
    if (!ioc) return fmt::format("{}: {}", type, error);
    ioc->line = row.line;
    if (row.has("malware_printable")) ioc->label = row["malware_printable"];
    result.feed.iocs.push_back(std::move(*ioc));
    return std::string();
  });
  return result;
}

FeedParseResult parse_urlhaus_csv(std::string_view content, const ParseOptions& opts) {
  FeedParseResult result;
  result.feed.format = FeedFormat::kUrlhausCsv;
  result.feed.advisory = "abuse.ch URLhaus";
  read_abusech_csv(content, {"url", "url_status"}, "URLhaus CSV", opts, result, [&](const AbusechRow& row) {
    // An offline URL's host is often a cleaned-up, legitimate site: not enforced.
    if (row["url_status"] == "offline") {
      ++result.feed.skipped["offline"];
      return std::string();
    }
    std::string error;
    auto ioc = ioc_from_url(row["url"], false, error);
    if (!ioc) return fmt::format("url: {}", error);
    ioc->line = row.line;
    if (row.has("threat")) ioc->label = row["threat"];
    result.feed.iocs.push_back(std::move(*ioc));
    return std::string();
  });
  return result;
}

}  // namespace iocgate

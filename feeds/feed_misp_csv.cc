// feeds/feed_misp_csv.cc — MISP attribute CSV exports (uuid,event_id,category,type,value,...).
// Columns are located by header name, since MISP lets the exporter add or reorder them.
#include <fmt/format.h>

#include "feeds/csv_reader.h"
#include "feeds/domain_name.h"
#include "feeds/feed_parser.h"
#include "feeds/ip_prefix.h"
#include "feeds/url_host.h"
#include "feeds/utf8_bom.h"

namespace iocgate {
namespace {

constexpr size_t kMissing = static_cast<size_t>(-1);

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

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

// Appends the IoCs of one attribute; returns false with `error` set when the value does
// not fit its type. Sets `skip` for attribute types with nothing to enforce on the wire.
bool attribute_iocs(std::string_view type, std::string_view value, std::vector<Ioc>& out,
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

}  // namespace

FeedParseResult parse_misp_csv(std::string_view content, const ParseOptions& opts) {
  FeedParseResult result;
  result.feed.format = FeedFormat::kMispCsv;
  auto fail = [&](uint32_t line, std::string reason) {
    result.error = FeedError{opts.file_name, line, std::move(reason)};
    return result;
  };
  CsvReader reader(strip_utf8_bom(content));
  CsvRecord rec;
  if (!reader.next(rec)) {
    if (!reader.error().empty()) return fail(reader.error_line(), reader.error());
    return fail(0, "empty file: a MISP CSV starts with a 'uuid,event_id,category,type,value,...' header");
  }
  size_t col_type = kMissing, col_value = kMissing, col_comment = kMissing, col_to_ids = kMissing;
  for (size_t i = 0; i < rec.fields.size(); ++i) {
    std::string_view name = trim(rec.fields[i]);
    if (name == "type") col_type = i;
    else if (name == "value") col_value = i;
    else if (name == "comment") col_comment = i;
    else if (name == "to_ids") col_to_ids = i;
  }
  if (col_type == kMissing || col_value == kMissing)
    return fail(rec.line, "MISP CSV header lacks a 'type' or 'value' column");
  const size_t n_columns = rec.fields.size();
  while (reader.next(rec)) {
    if (rec.fields.size() == 1 && trim(rec.fields[0]).empty()) continue;  // blank line
    if (rec.fields.size() != n_columns)
      return fail(rec.line, fmt::format("row has {} fields, the header has {}", rec.fields.size(), n_columns));
    if (col_to_ids != kMissing) {
      std::string_view to_ids = trim(rec.fields[col_to_ids]);
      if (to_ids == "0" || to_ids == "false" || to_ids == "False") {
        ++result.feed.skipped["to_ids=0"];
        continue;
      }
      if (to_ids != "1" && to_ids != "true" && to_ids != "True")
        return fail(rec.line, fmt::format("to_ids is '{}', expected 0 or 1", to_ids));
    }
    std::string_view type = trim(rec.fields[col_type]);
    std::string_view value = trim(rec.fields[col_value]);
    std::vector<Ioc> iocs;
    bool skip = false;
    std::string error;
    if (!attribute_iocs(type, value, iocs, skip, error))
      return fail(rec.line, fmt::format("{}: {}", type, error));
    if (skip) {
      ++result.feed.skipped[type.empty() ? std::string("(no type)") : std::string(type)];
      continue;
    }
    for (Ioc& ioc : iocs) {
      ioc.line = rec.line;
      if (col_comment != kMissing) ioc.label = std::string(trim(rec.fields[col_comment]));
      result.feed.iocs.push_back(std::move(ioc));
    }
  }
  if (!reader.error().empty()) return fail(reader.error_line(), reader.error());
  return result;
}

}  // namespace iocgate

// control/report_query.cc — resolving the request, checking names, matching records.

#include "control/report_query.h"

#include <arpa/inet.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <set>

#include "control/report_time.h"

namespace iocgate {

namespace {

// Lists can be long (a feed per advisory): the message stays readable.
std::string name_list(const std::set<std::string>& names) {
  std::string s;
  size_t n = 0;
  for (const std::string& x : names) {
    if (n == 40) {
      s += ", and " + std::to_string(names.size() - n) + " more";
      break;
    }
    s += (n++ == 0 ? "" : ", ") + x;
  }
  return s.empty() ? "none" : s;
}

void append_unknown(std::string* msg, const char* option, const char* kind, const std::vector<std::string>& asked,
                    const std::set<std::string>& known, const std::string& known_text) {
  std::vector<std::string> unknown;
  for (const std::string& a : asked)
    if (known.count(a) == 0) unknown.push_back("'" + a + "'");
  if (unknown.empty()) return;
  std::string u;
  for (const std::string& x : unknown) u += (u.empty() ? "" : ", ") + x;
  if (!msg->empty()) *msg += "; ";
  *msg += std::string(option) + " " + u + ": no such " + kind + " (known: " + known_text + ")";
}

}  // namespace

Result<ReportQuery> report_query_of(const ReportRequest& req, int64_t now_ms, const std::string& instance) {
  ReportQuery q;
  q.generated_ms = now_ms;
  q.since_ms = req.since_ms != 0 ? req.since_ms : std::max<int64_t>(0, now_ms - req.since_seconds * 1000);
  q.until_ms = req.until_ms != 0 ? req.until_ms : now_ms;
  Result<int> off = parse_utc_offset(req.utc_offset);
  if (!off.ok()) return Status::error("--utc-offset " + off.message());
  q.utc_offset_minutes = *off;
  q.feeds = req.feeds;
  if (!req.feed.empty() && std::find(q.feeds.begin(), q.feeds.end(), req.feed) == q.feeds.end())
    q.feeds.push_back(req.feed);
  q.advisories = req.advisories;
  q.groups = req.groups;
  q.hosts = req.hosts;
  q.instance = instance;
  return q;
}

Status check_report_query(const ReportQuery& q, const ReportCatalog& c) {
  if (q.until_ms < q.since_ms) return Status::error("--until is before --since: the period is empty");
  std::string msg;
  std::set<std::string> feeds, advisories, groups, current;
  for (const ReportCatalog::Feed& f : c.current) {
    current.insert(f.name);
    feeds.insert(f.name);
    if (!f.advisory.empty()) advisories.insert(f.advisory);
    if (!f.group.empty()) groups.insert(f.group);
  }
  feeds.insert(c.seen.feeds.begin(), c.seen.feeds.end());
  advisories.insert(c.seen.advisories.begin(), c.seen.advisories.end());
  groups.insert(c.seen.groups.begin(), c.seen.groups.end());
  std::set<std::string> removed;
  for (const std::string& f : c.seen.feeds)
    if (current.count(f) == 0) removed.insert(f);
  std::string feed_text = name_list(current);
  if (!removed.empty()) feed_text += "; removed, with hits kept: " + name_list(removed);
  append_unknown(&msg, "--feed", "feed", q.feeds, feeds, feed_text);
  append_unknown(&msg, "--advisory", "advisory", q.advisories, advisories, name_list(advisories));
  append_unknown(&msg, "--group", "group", q.groups, groups, name_list(groups));
  HostFilter hf;
  std::string herr;
  if (!hf.parse(q.hosts, &herr)) msg += (msg.empty() ? "" : "; ") + herr;
  return msg.empty() ? Status() : Status::error(msg);
}

bool HostFilter::parse(const std::vector<std::string>& hosts, std::string* error) {
  nets_.clear();
  for (const std::string& h : hosts) {
    Net n{};
    const size_t slash = h.find('/');
    const std::string addr = h.substr(0, slash);
    if (inet_pton(AF_INET, addr.c_str(), n.addr) == 1) n.family = AF_INET;
    else if (inet_pton(AF_INET6, addr.c_str(), n.addr) == 1) n.family = AF_INET6;
    else {
      *error = "--host '" + h + "': not an IPv4 or IPv6 address or CIDR";
      return false;
    }
    const int max = n.family == AF_INET ? 32 : 128;
    int len = max;
    if (slash != std::string::npos) {
      const std::string l = h.substr(slash + 1);
      if (l.empty() || l.size() > 3 || l.find_first_not_of("0123456789") != std::string::npos ||
          (len = std::stoi(l)) > max) {
        *error = "--host '" + h + "': the prefix length must be 0 to " + std::to_string(max);
        return false;
      }
    }
    n.len = static_cast<uint8_t>(len);
    nets_.push_back(n);
  }
  return true;
}

bool HostFilter::contains(const std::string& host) const {
  uint8_t a[16] = {};
  int family = AF_INET;
  if (inet_pton(AF_INET, host.c_str(), a) != 1) {
    family = AF_INET6;
    if (inet_pton(AF_INET6, host.c_str(), a) != 1) return false;
  }
  for (const Net& n : nets_) {
    if (n.family != family) continue;
    const int full = n.len / 8, rest = n.len % 8;
    if (std::memcmp(a, n.addr, static_cast<size_t>(full)) != 0) continue;
    if (rest != 0) {
      const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
      if ((a[full] & mask) != (n.addr[full] & mask)) continue;
    }
    return true;
  }
  return false;
}

std::vector<HitListing> matching_listings(const HitRecord& r, const ReportQuery& q) {
  std::vector<HitListing> all = r.listings();
  if (q.feeds.empty() && q.advisories.empty() && q.groups.empty()) return all;
  auto in = [](const std::vector<std::string>& v, const std::string& x) {
    return v.empty() || std::find(v.begin(), v.end(), x) != v.end();
  };
  std::erase_if(all, [&](const HitListing& l) {
    return !(in(q.feeds, l.feed) && in(q.advisories, l.advisory) && in(q.groups, l.group));
  });
  return all;
}

}  // namespace iocgate

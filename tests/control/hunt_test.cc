// tests/control/hunt_test.cc — the hunt over a history written here: each way a host can touch
// an IoC (listed address or prefix, both directions and IPv6; a DNS query, TLS SNI or HTTP
// Host equal to or under a listed name; a connection to an address a listed name's DNS answer
// held, while it held it), and what must not count: look-alike names, flows where neither end
// is internal, connections long after the answer, rows outside the time range. The expected
// contacts are written out by hand from the rows, never from the implementation.

#include "control/hunt.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <list>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "tests/control/test_dir.h"

namespace iocgate {
namespace {

constexpr int64_t kT0 = 1719187200000;  // 2024-06-24T00:00:00Z
constexpr int64_t kMin = 60000;

struct Spec {
  std::string client, server;
  uint16_t sport, dport;
  int64_t at;  // first_ms
  FlowNameKind kind = FlowNameKind::kDnsQuery;
  std::string name;
  std::vector<std::string> answers;
  uint32_t ttl = 60;
  bool continued = false;
};

class Store {
 public:
  explicit Store(const std::string& dir) : s_(HistoryConfig{dir}) { EXPECT_TRUE(s_.open(kT0).ok()); }
  void add(const Spec& x) {
    FlowRow r;
    r.first_ms = x.at;
    r.last_ms = x.at + 500;
    const bool v6 = x.client.find(':') != std::string::npos;
    r.ip_version = v6 ? 6 : 4;
    r.proto = x.dport == 53 ? 17 : 6;
    inet_pton(v6 ? AF_INET6 : AF_INET, x.client.c_str(), r.client);
    inet_pton(v6 ? AF_INET6 : AF_INET, x.server.c_str(), r.server);
    r.client_port = x.sport;
    r.server_port = x.dport;
    r.packets[0] = 3;
    r.packets[1] = 2;
    r.bytes[0] = 300;
    r.bytes[1] = 2000;
    if (x.continued) r.flags |= kFlowContinued;
    names_.emplace_back();
    if (!x.name.empty()) {
      names_.back().push_back(static_cast<char>(x.kind));
      names_.back().push_back(static_cast<char>(x.name.size()));
      names_.back() += x.name;
      r.names = reinterpret_cast<const uint8_t*>(names_.back().data());
      r.names_len = static_cast<uint16_t>(names_.back().size());
      r.name_count = 1;
    }
    for (const std::string& a : x.answers) {
      const bool six = a.find(':') != std::string::npos;
      inet_pton(six ? AF_INET6 : AF_INET, a.c_str(), r.answers[r.answer_count]);
      if (six) r.answer_v6 |= static_cast<uint8_t>(1u << r.answer_count);
      ++r.answer_count;
    }
    r.answer_ttl = x.ttl;
    s_.add(r, {});
  }
  void flush() { ASSERT_TRUE(s_.flush(kT0).ok()); }
  HistoryStore& store() { return s_; }

 private:
  HistoryStore s_;
  std::list<std::string> names_;  // the rows point into these until they are encoded
};

Ioc v4(const char* a, uint8_t len = 32) {
  Ioc i;
  i.kind = IocKind::kIpv4;
  i.prefix_len = len;
  inet_pton(AF_INET, a, i.addr.data());
  return i;
}
Ioc v6(const char* a, uint8_t len) {
  Ioc i;
  i.kind = IocKind::kIpv6;
  i.prefix_len = len;
  inet_pton(AF_INET6, a, i.addr.data());
  return i;
}
Ioc dom(const char* d) {
  Ioc i;
  i.kind = IocKind::kDomain;
  i.form = IocForm::kDomain;
  i.domain = d;
  return i;
}

InternalNetworks internal() {
  InternalNetworks n;
  const Status parsed = n.parse({"10.0.0.0/8", "fd00::/8"});
  EXPECT_TRUE(parsed.ok()) << parsed.message();
  return n;
}

using Seen = std::tuple<std::string, std::string, std::string, std::string, std::string, uint64_t>;
// (host, how, seen, ioc, resolved_from, flows)
std::set<Seen> seen_of(const HuntResult& r) {
  std::set<Seen> s;
  for (const HuntContact& c : r.contacts) s.insert({c.host, c.how, c.seen, c.ioc, c.resolved_from, c.flows});
  return s;
}

void fill(Store& s, bool flush_between) {
  // Address contacts: an outbound flow into a listed /24, an inbound one from a listed host
  // to an internal server, IPv6 into a listed /48.
  s.add({"10.0.0.1", "203.0.113.5", 40001, 443, kT0 + 1 * kMin});
  s.add({"10.0.0.1", "203.0.113.5", 40001, 443, kT0 + 6 * kMin, {}, "", {}, 60, /*continued=*/true});
  s.add({"198.51.100.66", "10.0.0.8", 50000, 22, kT0 + 2 * kMin});
  s.add({"fd00::5", "2001:db8:bad:1::9", 40002, 443, kT0 + 3 * kMin});
  // Neither end internal: no host of ours.
  s.add({"192.0.2.1", "203.0.113.9", 40003, 443, kT0 + 4 * kMin});
  if (flush_between) s.flush();
  // Names: a DNS query under a listed name, with its answer; SNI; HTTP Host; a look-alike.
  s.add({"10.0.0.2", "10.255.0.53", 33000, 53, kT0 + 10 * kMin, FlowNameKind::kDnsQuery, "www.evil.example",
         {"192.0.2.77", "2001:db8:77::1"}, 120});
  s.add({"10.0.0.4", "192.0.2.200", 40004, 443, kT0 + 11 * kMin, FlowNameKind::kSni, "cdn.evil.example"});
  s.add({"10.0.0.5", "192.0.2.201", 40005, 80, kT0 + 12 * kMin, FlowNameKind::kHttpHost, "evil.example"});
  s.add({"10.0.0.6", "192.0.2.202", 40006, 443, kT0 + 13 * kMin, FlowNameKind::kSni, "notevil.example"});
  if (flush_between) s.flush();
  // Connections to the answer's addresses: by a host that never asked (it used another
  // resolver the appliance does not see), over IPv6 by the one that asked, within the
  // window; and one long after the answer and the window.
  s.add({"10.0.0.3", "192.0.2.77", 40007, 8443, kT0 + 15 * kMin});
  s.add({"fd00::2", "2001:db8:77::1", 40008, 443, kT0 + 16 * kMin});
  s.add({"10.0.0.9", "192.0.2.77", 40009, 8443, kT0 + 3 * 60 * kMin});
}

HuntQuery query() {
  HuntQuery q;
  q.feeds.push_back({"apt-x", "ADV-1", "Group X", {v4("203.0.113.0", 24), v4("198.51.100.66"), v6("2001:db8:bad::", 48)}});
  q.feeds.push_back({"apt-x-names", "ADV-1", "Group X", {dom("evil.example")}});
  q.resolved_window_ms = 30 * kMin;
  q.threads = 2;
  return q;
}

TEST(Hunt, FindsEveryWayOfContactAndNothingElse) {
  for (bool flush_between : {true, false}) {  // stored blocks, or rows not written yet
    SCOPED_TRACE(flush_between ? "written" : "pending");
    testing::TempDir dir;
    Store s(dir.path());
    fill(s, flush_between);
    Result<HuntResult> r = run_hunt(s.store(), query(), internal());
    ASSERT_TRUE(r.ok()) << r.message();
    const std::set<Seen> want = {
        {"10.0.0.1", "address", "203.0.113.5", "203.0.113.0/24", "", 1},
        {"10.0.0.8", "address", "198.51.100.66", "198.51.100.66", "", 1},
        {"fd00::5", "address", "2001:db8:bad:1::9", "2001:db8:bad::/48", "", 1},
        {"10.0.0.2", "dns", "www.evil.example", "evil.example", "", 1},
        {"10.0.0.4", "sni", "cdn.evil.example", "evil.example", "", 1},
        {"10.0.0.5", "http-host", "evil.example", "evil.example", "", 1},
        {"10.0.0.3", "resolved", "192.0.2.77", "evil.example", "www.evil.example", 1},
        {"fd00::2", "resolved", "2001:db8:77::1", "evil.example", "www.evil.example", 1},
    };
    EXPECT_EQ(seen_of(*r), want);
    EXPECT_EQ(r->bindings, 2u);
    // The second pass reads only the blocks that overlap an answer's window: written, the
    // first block (rows at +1..+6 min) ends before the answer at +10 min.
    EXPECT_EQ(r->records, flush_between ? 12u + 7u : 12u + 12u);
    for (const HuntContact& c : r->contacts) {
      EXPECT_EQ(c.advisory, "ADV-1");
      EXPECT_EQ(c.feed, c.how == std::string("address") ? "apt-x" : "apt-x-names");
    }
    // The continued record adds bytes and time, not a flow.
    const auto a = std::find_if(r->contacts.begin(), r->contacts.end(), [](const HuntContact& c) { return c.host == "10.0.0.1"; });
    ASSERT_NE(a, r->contacts.end());
    EXPECT_EQ(a->bytes, 4600u);
    EXPECT_EQ(a->first_ms, kT0 + kMin);
    EXPECT_EQ(a->last_ms, kT0 + 6 * kMin + 500);
  }
}

TEST(Hunt, TheTimeRangeAndTheWindowBound) {
  testing::TempDir dir;
  Store s(dir.path());
  fill(s, true);
  s.flush();
  HuntQuery q = query();
  q.since_ms = kT0 + 5 * kMin;
  q.until_ms = kT0 + 12 * kMin;
  Result<HuntResult> r = run_hunt(s.store(), q, internal());
  ASSERT_TRUE(r.ok());
  std::set<std::string> hosts;
  for (const HuntContact& c : r->contacts) hosts.insert(c.host + " " + c.how);
  EXPECT_EQ(hosts, (std::set<std::string>{"10.0.0.1 address", "10.0.0.2 dns", "10.0.0.4 sni", "10.0.0.5 http-host"}))
      << "the continued record of 10.0.0.1 (at +6 min) is in range; the resolved contacts are after it";
  // A window of three hours catches the late connection too.
  q = query();
  q.resolved_window_ms = 4 * 60 * kMin;
  r = run_hunt(s.store(), q, internal());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::count_if(r->contacts.begin(), r->contacts.end(), [](const HuntContact& c) { return c.how == std::string("resolved"); }), 3);
}

TEST(Hunt, TheReplyGroupsByHostAndTheLineCountsThem) {
  testing::TempDir dir;
  Store s(dir.path());
  fill(s, true);
  s.flush();
  HuntQuery q = query();
  q.since_ms = kT0 + kMin;  // where the history starts
  Result<HuntResult> r = run_hunt(s.store(), q, internal());
  ASSERT_TRUE(r.ok());
  const nlohmann::json j = hunt_json(*r, q);
  EXPECT_EQ(j["host_count"], 8);
  ASSERT_EQ(j["hosts"].size(), 8u);
  for (const auto& h : j["hosts"]) {
    EXPECT_FALSE(h["contacts"].empty());
    EXPECT_TRUE(h["first_seen"].is_string());
  }
  bool resolved = false;
  for (const auto& h : j["hosts"])
    for (const auto& c : h["contacts"])
      if (c["how"] == "resolved") {
        resolved = true;
        EXPECT_EQ(c["resolved_from"], "www.evil.example");
      }
  EXPECT_TRUE(resolved);
  EXPECT_EQ(hunt_summary_line(j, "apt-x", 30),
            "8 internal hosts contacted these IoCs in the last 30 days; `iocctl hunt --feed apt-x` lists them");
  // A history that starts inside the period says so.
  nlohmann::json late = j;
  late["since_ms"] = kT0 - 86400000;
  EXPECT_NE(hunt_summary_line(late, "apt-x", 30).find("the flow history starts 2024-06-24T00:01:00Z"), std::string::npos)
      << hunt_summary_line(late, "apt-x", 30);
}

TEST(Hunt, NoIocsOrNoHistoryIsAnEmptyAnswer) {
  testing::TempDir dir;
  Store s(dir.path());
  HuntQuery q = query();
  Result<HuntResult> r = run_hunt(s.store(), q, internal());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->contacts.empty());
  const nlohmann::json j = hunt_json(*r, q);
  EXPECT_EQ(hunt_summary_line(j, "f", 30), "0 internal hosts contacted these IoCs in the last 30 days (the flow history is empty)");
  q.feeds.clear();
  r = run_hunt(s.store(), q, internal());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->iocs, 0u);
}

}  // namespace
}  // namespace iocgate

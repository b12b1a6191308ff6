// tests/control/ipfix_exporter_test.cc — the IPFIX messages, read back by a parser written
// here from RFC 7011 (not from the encoder): header, sequence numbers, the template set in the
// first message and again after a refresh, every data record decoded by its template
// (variable-length names included) to the values of its row; the size bound; the UDP export.

#include "control/ipfix_exporter.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

namespace iocgate {
namespace {

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
uint32_t be32(const uint8_t* p) { return (uint32_t{be16(p)} << 16) | be16(p + 2); }
uint64_t be64(const uint8_t* p) { return (uint64_t{be32(p)} << 32) | be32(p + 4); }

struct Spec {
  uint16_t id;
  uint32_t pen;
  uint16_t len;
};
using Template = std::vector<Spec>;
using Record = std::map<std::string, std::string>;  // "pen/id" -> raw bytes

struct Parsed {
  uint32_t sequence = 0, domain = 0, export_time = 0;
  std::vector<std::pair<uint16_t, Record>> records;  // template id, fields
  int template_sets = 0;
};

// RFC 7011 sections 3.1-3.4, 7.
Parsed parse(const std::string& m, std::map<uint16_t, Template>& templates) {
  Parsed out;
  const auto* p = reinterpret_cast<const uint8_t*>(m.data());
  EXPECT_GE(m.size(), 16u);
  EXPECT_EQ(be16(p), 10);
  EXPECT_EQ(be16(p + 2), m.size());
  out.export_time = be32(p + 4);
  out.sequence = be32(p + 8);
  out.domain = be32(p + 12);
  size_t at = 16;
  while (at + 4 <= m.size()) {
    const uint16_t set = be16(p + at), len = be16(p + at + 2);
    EXPECT_GE(len, 4);
    EXPECT_LE(at + len, m.size());
    const size_t end = at + len;
    size_t q = at + 4;
    if (set == 2) {
      ++out.template_sets;
      while (q + 4 <= end) {
        const uint16_t tid = be16(p + q), n = be16(p + q + 2);
        q += 4;
        Template t;
        for (uint16_t i = 0; i < n; ++i) {
          Spec s{static_cast<uint16_t>(be16(p + q) & 0x7FFF), 0, be16(p + q + 2)};
          const bool ent = be16(p + q) & 0x8000;
          q += 4;
          if (ent) {
            s.pen = be32(p + q);
            q += 4;
          }
          t.push_back(s);
        }
        templates[tid] = t;
      }
    } else if (set >= 256) {
      const Template& t = templates.at(set);
      while (q < end) {
        Record r;
        for (const Spec& s : t) {
          size_t n = s.len;
          if (n == 0xFFFF) {
            n = p[q++];
            if (n == 255) {
              n = be16(p + q);
              q += 2;
            }
          }
          EXPECT_LE(q + n, end);
          r[std::to_string(s.pen) + "/" + std::to_string(s.id)] = m.substr(q, n);
          q += n;
        }
        out.records.emplace_back(set, r);
      }
    }
    at = end;
  }
  EXPECT_EQ(at, m.size());
  return out;
}

uint64_t num(const Record& r, const std::string& k) {
  const std::string& v = r.at(k);
  uint64_t x = 0;
  for (unsigned char c : v) x = (x << 8) | c;
  return x;
}

FlowRow row(int i, bool v6, std::string* names) {
  FlowRow r;
  r.first_ms = 1719187200000 + i;
  r.last_ms = r.first_ms + 1234;
  r.ip_version = v6 ? 6 : 4;
  r.proto = 6;
  inet_pton(v6 ? AF_INET6 : AF_INET, v6 ? "fd00::7" : "10.1.2.3", r.client);
  inet_pton(v6 ? AF_INET6 : AF_INET, v6 ? "2001:db8::1" : "203.0.113.9", r.server);
  r.client_port = static_cast<uint16_t>(40000 + i);
  r.server_port = 443;
  r.packets[0] = 10 + i;
  r.packets[1] = 20 + i;
  r.bytes[0] = 1000 + i;
  r.bytes[1] = 5000000000ull + i;
  r.tcp_flags = 0x1b;
  r.vlan = 42;
  r.vlan_count = 1;
  r.end = 3;
  r.flags = kFlowClientKnown;
  r.action = 1;
  *names = std::string(1, static_cast<char>(FlowNameKind::kSni)) + std::string(1, 16) + "www.evil.example";
  if (i % 3 == 0) {
    const std::string longname(240, 'a');  // a name of over 254 bytes uses the 3-byte length
    *names = std::string(1, static_cast<char>(FlowNameKind::kDnsQuery)) + std::string(1, static_cast<char>(240)) + longname;
    r.answer_count = 2;
    r.answer_v6 = 0b10;
    inet_pton(AF_INET, "192.0.2.77", r.answers[0]);
    inet_pton(AF_INET6, "2001:db8:77::1", r.answers[1]);
  }
  r.names = reinterpret_cast<const uint8_t*>(names->data());
  r.names_len = static_cast<uint16_t>(names->size());
  r.name_count = 1;
  return r;
}

TEST(IpfixEncoder, MessagesDecodeToTheRowsTheyCarry) {
  IpfixEncoder enc(77, 1400);
  std::vector<std::string> msgs;
  std::vector<std::string> names(40);
  std::vector<FlowRow> rows;
  for (int i = 0; i < 40; ++i) {
    rows.push_back(row(i, i % 2 == 1, &names[i]));
    enc.add(rows.back(), 1719187300000, &msgs);
  }
  enc.finish(1719187300000, &msgs);
  ASSERT_GT(msgs.size(), 2u) << "40 records do not fit one message of 1400 bytes";
  std::map<uint16_t, Template> templates;
  uint32_t expect_seq = 0;
  std::vector<std::pair<uint16_t, Record>> got;
  for (size_t k = 0; k < msgs.size(); ++k) {
    EXPECT_LE(msgs[k].size(), 1400u);
    const Parsed p = parse(msgs[k], templates);
    EXPECT_EQ(p.domain, 77u);
    EXPECT_EQ(p.export_time, 1719187300u);
    EXPECT_EQ(p.sequence, expect_seq) << "data records sent before this message";
    EXPECT_EQ(p.template_sets, k == 0 ? 1 : 0);
    expect_seq += static_cast<uint32_t>(p.records.size());
    got.insert(got.end(), p.records.begin(), p.records.end());
  }
  ASSERT_EQ(got.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const FlowRow& r = rows[i];
    const auto& [tid, rec] = got[i];
    const bool v6 = r.ip_version == 6;
    EXPECT_EQ(tid, v6 ? ipfix::kTemplateV6 : ipfix::kTemplateV4);
    EXPECT_EQ(num(rec, "0/152"), static_cast<uint64_t>(r.first_ms));
    EXPECT_EQ(num(rec, "0/153"), static_cast<uint64_t>(r.last_ms));
    EXPECT_EQ(rec.at(v6 ? "0/27" : "0/8"), std::string(reinterpret_cast<const char*>(r.client), v6 ? 16 : 4));
    EXPECT_EQ(rec.at(v6 ? "0/28" : "0/12"), std::string(reinterpret_cast<const char*>(r.server), v6 ? 16 : 4));
    EXPECT_EQ(num(rec, "0/7"), r.client_port);
    EXPECT_EQ(num(rec, "0/11"), 443u);
    EXPECT_EQ(num(rec, "0/4"), 6u);
    EXPECT_EQ(num(rec, "0/6"), 0x1bu);
    EXPECT_EQ(num(rec, "0/58"), 42u);
    EXPECT_EQ(num(rec, "0/1"), r.bytes[0]);
    EXPECT_EQ(num(rec, "0/2"), r.packets[0]);
    EXPECT_EQ(num(rec, "29305/1"), r.bytes[1]) << "reverse octets (RFC 5103)";
    EXPECT_EQ(num(rec, "29305/2"), r.packets[1]);
    EXPECT_EQ(num(rec, "0/136"), 3u);
    EXPECT_EQ(num(rec, "0/239"), 1u);
    EXPECT_EQ(num(rec, "32473/4"), 1u);
    if (i % 3 == 0) {
      EXPECT_EQ(rec.at("32473/1"), std::string(240, 'a'));
      EXPECT_EQ(rec.at("32473/2"), "");
      const std::string& a = rec.at("32473/3");
      ASSERT_EQ(a.size(), 32u);
      EXPECT_EQ(a.substr(10, 6), std::string("\xff\xff\xc0\x00\x02\x4d", 6)) << "IPv4 as ::ffff:192.0.2.77";
    } else {
      EXPECT_EQ(rec.at("32473/2"), "www.evil.example");
      EXPECT_EQ(rec.at("32473/1"), "");
      EXPECT_EQ(rec.at("32473/3"), "");
    }
    EXPECT_EQ(rec.at("0/460"), "");
  }
  // After a refresh the templates come again, first.
  enc.resend_templates();
  msgs.clear();
  enc.add(rows[0], 1719187400000, &msgs);
  enc.finish(1719187400000, &msgs);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(parse(msgs[0], templates).template_sets, 1);
}

TEST(IpfixExporter, SendsToTheCollectorOverUdpAndRefusesBadTargets) {
  const int rx = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(rx, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t alen = sizeof a;
  getsockname(rx, reinterpret_cast<sockaddr*>(&a), &alen);
  auto x = IpfixExporter::open("127.0.0.1:" + std::to_string(ntohs(a.sin_port)));
  ASSERT_TRUE(x.ok()) << x.message();
  std::string names;
  (*x)->add(row(1, false, &names));
  (*x)->tick(0, /*force=*/true);
  char buf[2048];
  timeval tv{2, 0};
  setsockopt(rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const ssize_t n = recv(rx, buf, sizeof buf, 0);
  ASSERT_GT(n, 16);
  std::map<uint16_t, Template> templates;
  const Parsed p = parse(std::string(buf, static_cast<size_t>(n)), templates);
  EXPECT_EQ(p.template_sets, 1);
  ASSERT_EQ(p.records.size(), 1u);
  EXPECT_EQ((*x)->counters().messages, 1u);
  EXPECT_EQ((*x)->counters().records, 1u);
  close(rx);
  for (const char* bad : {"", "host", ":4739", "[::1]4739", "no-such-host.invalid:4739"})
    EXPECT_FALSE(IpfixExporter::open(bad).ok()) << bad;
  EXPECT_TRUE(IpfixExporter::open("[::1]:4739").ok());
}

}  // namespace
}  // namespace iocgate

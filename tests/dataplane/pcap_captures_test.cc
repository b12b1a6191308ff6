// tests/dataplane/pcap_captures_test.cc — the parsers over real captures from zeek and
// suricata-verify ($IOCGATE_SHARED/pcaps): every frame parses, and each flow yields its name.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "dataplane/dns_qname.h"
#include "dataplane/http_host.h"
#include "dataplane/packet_parser.h"
#include "dataplane/tls_sni.h"

namespace iocgate {
namespace {

using Bytes = std::vector<uint8_t>;

// A classic pcap file (not pcapng): 24-byte global header, then 16-byte record headers.
// Loopback (DLT_NULL) captures get their 4-byte family word replaced by an Ethernet header,
// so that every capture goes through parse_packet as the workers would see it.
std::vector<Bytes> read_pcap(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  const Bytes file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<Bytes> frames;
  if (file.size() < 24) {
    ADD_FAILURE() << path << ": no pcap header";
    return frames;
  }
  uint32_t magic;
  std::memcpy(&magic, file.data(), 4);
  const bool swapped = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
  if (!swapped && magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) {
    ADD_FAILURE() << path << ": not a pcap file";
    return frames;
  }
  auto u32 = [&](size_t at) {
    uint32_t v;
    std::memcpy(&v, file.data() + at, 4);
    return swapped ? __builtin_bswap32(v) : v;
  };
  const uint32_t linktype = u32(20) & 0x0fffffff;
  EXPECT_TRUE(linktype == 1 || linktype == 0) << path << ": link type " << linktype;
  size_t pos = 24;
  while (file.size() - pos >= 16) {
    const uint32_t caplen = u32(pos + 8);
    pos += 16;
    if (file.size() - pos < caplen) {
      ADD_FAILURE() << path << ": record runs past the file";
      break;
    }
    Bytes frame(file.begin() + pos, file.begin() + pos + caplen);
    pos += caplen;
    if (linktype == 0 && frame.size() >= 4) {
      uint32_t family;
      std::memcpy(&family, frame.data(), 4);
      if (swapped) family = __builtin_bswap32(family);
      // AF_INET is 2 everywhere; AF_INET6 is 24, 28 or 30 depending on the capturing OS.
      const uint16_t ethertype = family == 2 ? 0x0800 : 0x86dd;
      Bytes eth = {0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2,
                   static_cast<uint8_t>(ethertype >> 8), static_cast<uint8_t>(ethertype)};
      eth.insert(eth.end(), frame.begin() + 4, frame.end());
      frame = std::move(eth);
    }
    frames.push_back(std::move(frame));
  }
  EXPECT_EQ(pos, file.size()) << path << ": trailing bytes";
  return frames;
}

std::string shared_dir() {
  const char* d = std::getenv("IOCGATE_SHARED");
  return d ? d : "";
}

struct Capture {
  std::vector<Bytes> frames;
  std::vector<PacketMeta> metas;
  Bytes client_stream;  // the TCP client's payload bytes in sequence order
};

// Parses every frame (all must be IP and well-formed) and reassembles the stream sent by
// the side that opened the connection: segments placed by sequence number, retransmissions
// overwriting the same bytes.
Capture load(const std::string& rel) {
  Capture c;
  const std::string dir = shared_dir();
  EXPECT_FALSE(dir.empty()) << "IOCGATE_SHARED is not set";
  c.frames = read_pcap(dir + "/pcaps/" + rel);
  EXPECT_FALSE(c.frames.empty()) << rel;
  bool have_client = false;
  uint16_t client_port = 0;
  uint32_t isn = 0;
  std::map<uint32_t, Bytes> segments;
  for (size_t i = 0; i < c.frames.size(); ++i) {
    const Bytes& f = c.frames[i];
    PacketMeta m;
    const ParseStatus st = parse_packet(f.data(), static_cast<uint32_t>(f.size()), m);
    EXPECT_EQ(ParseStatus::kOk, st) << rel << " frame " << i + 1;
    c.metas.push_back(m);
    if (st != ParseStatus::kOk || !m.has_l4 || m.l4_proto != 6) continue;
    if (!have_client && (m.tcp_flags & 0x12) == 0x02) {  // the SYN
      have_client = true;
      client_port = m.sport;
      isn = m.tcp_seq + 1;
    }
    if (have_client && m.sport == client_port && m.payload_len > 0)
      segments[m.tcp_seq - isn] = Bytes(f.begin() + m.payload_offset,
                                        f.begin() + m.payload_offset + m.payload_len);
  }
  EXPECT_TRUE(have_client) << rel << ": no SYN";
  for (const auto& [off, seg] : segments) {
    if (off > c.client_stream.size()) break;  // a hole: stop at the in-order prefix
    if (c.client_stream.size() < off + seg.size()) c.client_stream.resize(off + seg.size());
    std::copy(seg.begin(), seg.end(), c.client_stream.begin() + off);
  }
  EXPECT_FALSE(c.client_stream.empty()) << rel;
  return c;
}

std::string http_host_of(const Bytes& s) {
  char out[kMaxNameLen + 1];
  size_t n = 0;
  EXPECT_TRUE(looks_like_http_request(s.data(), s.size()));
  EXPECT_EQ(ExtractStatus::kFound, http_request_host(s.data(), s.size(), out, &n));
  return std::string(out, n);
}

TEST(PcapCaptures, SharedDirectoryPresent) {
  const std::string dir = shared_dir();
  ASSERT_FALSE(dir.empty()) << "IOCGATE_SHARED is not set";
  std::ifstream sources(dir + "/pcaps/SOURCES.md");
  ASSERT_TRUE(sources.good()) << dir << "/pcaps/SOURCES.md missing";
}

TEST(PcapCaptures, HttpVlan) {
  const Capture c = load("zeek/http-vlan-0.pcap");
  for (const PacketMeta& m : c.metas) EXPECT_EQ(1, m.vlan_count);
  EXPECT_EQ("bro.org", http_host_of(c.client_stream));
}

TEST(PcapCaptures, HttpQinq) {
  const Capture c = load("zeek/http-qinq-0.pcap");
  for (const PacketMeta& m : c.metas) EXPECT_EQ(2, m.vlan_count);
  EXPECT_EQ("bro.org", http_host_of(c.client_stream));
}

TEST(PcapCaptures, HttpGet) {
  const Capture c = load("zeek/http/get.pcap");
  for (const PacketMeta& m : c.metas) EXPECT_EQ(0, m.vlan_count);
  EXPECT_EQ("bro.org", http_host_of(c.client_stream));
}

TEST(PcapCaptures, HttpIpv6) {
  const Capture c = load("suricata-verify/http-ipv6/input.pcap");
  for (const PacketMeta& m : c.metas) EXPECT_EQ(6, m.ip_version);
  EXPECT_EQ("::1", http_host_of(c.client_stream));
}

TEST(PcapCaptures, DnsOverTcp) {
  const Capture c = load("suricata-verify/dns-tcp-www-google-com/dns.pcap");
  char out[kMaxNameLen + 1];
  size_t n = 0;
  ASSERT_EQ(ExtractStatus::kFound,
            dns_tcp_query_name(c.client_stream.data(), c.client_stream.size(), out, &n));
  EXPECT_EQ("www.google.com", std::string(out, n));
}

std::string sni_of(const Bytes& s) {
  char out[kMaxNameLen + 1];
  size_t n = 0;
  EXPECT_TRUE(looks_like_tls_handshake(s.data(), s.size()));
  EXPECT_EQ(ExtractStatus::kFound, tls_client_hello_sni(s.data(), s.size(), out, &n));
  return std::string(out, n);
}

TEST(PcapCaptures, TlsChrome34) {
  const Capture c = load("zeek/tls/chrome-34-google.pcap");
  EXPECT_EQ("google.de", sni_of(c.client_stream));
}

TEST(PcapCaptures, TlsClientHelloOverMtu300Segments) {
  const Capture c = load("suricata-verify/tls-client-hello-frag-01/dump_mtu300.pcap");
  EXPECT_EQ("www.google.com", sni_of(c.client_stream));
  // Fed segment by segment as a worker would: the name appears once enough bytes arrived,
  // and no prefix is refused.
  bool found = false;
  for (size_t n = 1; n <= c.client_stream.size() && !found; ++n) {
    char out[kMaxNameLen + 1];
    size_t len = 0;
    const ExtractStatus st = tls_client_hello_sni(c.client_stream.data(), n, out, &len);
    ASSERT_NE(ExtractStatus::kNotMine, st) << "prefix " << n;
    found = st == ExtractStatus::kFound;
  }
  EXPECT_TRUE(found);
  // The first client segment alone (248 bytes) does not hold the whole hello. Without the
  // capture the stream is empty: fail here rather than read 248 bytes that are not there.
  ASSERT_GE(c.client_stream.size(), 248u);
  char out[kMaxNameLen + 1];
  size_t len = 0;
  size_t needed = 0;
  const ExtractStatus first = tls_client_hello_sni(c.client_stream.data(), 248, out, &len, &needed);
  EXPECT_TRUE(first == ExtractStatus::kNeedMore || first == ExtractStatus::kFound);
  if (first == ExtractStatus::kNeedMore) {
    EXPECT_GT(needed, 248u);
  }
}

}  // namespace
}  // namespace iocgate

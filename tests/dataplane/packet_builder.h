// tests/dataplane/packet_builder.h — test-only builder of Ethernet frames (VLAN/QinQ, IPv4 with
// options and fragments, IPv6 with extension headers, TCP/UDP) for table-driven parser tests.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace iocgate::test {

using Bytes = std::vector<uint8_t>;

inline void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
inline void put24(Bytes& b, uint32_t v) {
  b.push_back(static_cast<uint8_t>(v >> 16));
  put16(b, static_cast<uint16_t>(v));
}
inline void put32(Bytes& b, uint32_t v) {
  put16(b, static_cast<uint16_t>(v >> 16));
  put16(b, static_cast<uint16_t>(v));
}
inline void set16(Bytes& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}
inline void append(Bytes& b, const Bytes& more) { b.insert(b.end(), more.begin(), more.end()); }
inline void append(Bytes& b, std::string_view s) { b.insert(b.end(), s.begin(), s.end()); }
inline Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }

inline constexpr std::array<uint8_t, 4> kV4Src{192, 0, 2, 1};
inline constexpr std::array<uint8_t, 4> kV4Dst{198, 51, 100, 7};
inline constexpr std::array<uint8_t, 16> kV6Src{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                                                0, 0, 0, 0, 0, 0, 0, 1};
inline constexpr std::array<uint8_t, 16> kV6Dst{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                                                0, 0, 0, 0, 0, 0, 0, 2};

// Layers are recorded in order and serialised by build(), which fills in the length and
// next-protocol fields unless a test overrides them to make a malformed frame.
class PacketBuilder {
 public:
  PacketBuilder& vlan(uint16_t tpid, uint16_t vid) {
    tags_.push_back({tpid, vid});
    return *this;
  }
  // A non-IP frame: the ethertype after the tags, and raw bytes after it.
  PacketBuilder& ethertype(uint16_t type) {
    ethertype_ = type;
    return *this;
  }
  PacketBuilder& ipv4(std::array<uint8_t, 4> src = kV4Src, std::array<uint8_t, 4> dst = kV4Dst) {
    ip_version_ = 4;
    v4src_ = src;
    v4dst_ = dst;
    return *this;
  }
  // Raw option bytes; padded with end-of-options to a multiple of 4.
  PacketBuilder& ipv4_options(Bytes opts) {
    v4opts_ = std::move(opts);
    return *this;
  }
  // offset in 8-byte units, as on the wire.
  PacketBuilder& ipv4_fragment(uint16_t offset8, bool more) {
    v4frag_ = static_cast<uint16_t>((more ? 0x2000 : 0) | (offset8 & 0x1fff));
    return *this;
  }
  PacketBuilder& ipv4_total_length(uint16_t v) {
    v4total_override_ = v;
    return *this;
  }
  PacketBuilder& ipv4_ihl(uint8_t words) {
    v4ihl_override_ = words;
    return *this;
  }
  PacketBuilder& ipv6(std::array<uint8_t, 16> src = kV6Src, std::array<uint8_t, 16> dst = kV6Dst) {
    ip_version_ = 6;
    v6src_ = src;
    v6dst_ = dst;
    return *this;
  }
  // A generic extension header (0, 43, 60) of `len8` 8-byte units beyond the first 8.
  PacketBuilder& ipv6_ext(uint8_t type, uint8_t len8 = 0) {
    Ext e{type, Bytes(8 + 8 * size_t{len8}, 0)};
    e.body[1] = len8;
    if (type == 0 || type == 60) e.body[2] = 1;  // PadN option over the rest
    if (type == 0 || type == 60) e.body[3] = static_cast<uint8_t>(e.body.size() - 4);
    exts_.push_back(std::move(e));
    return *this;
  }
  PacketBuilder& ipv6_ah(uint8_t len4) {  // AH: (len4 + 2) 4-byte units
    Ext e{51, Bytes((size_t{len4} + 2) * 4, 0)};
    e.body[1] = len4;
    exts_.push_back(std::move(e));
    return *this;
  }
  PacketBuilder& ipv6_fragment(uint16_t offset8, bool more, uint32_t id = 0x1234) {
    Ext e{44, Bytes(8, 0)};
    const uint16_t fo = static_cast<uint16_t>((offset8 << 3) | (more ? 1 : 0));
    e.body[2] = static_cast<uint8_t>(fo >> 8);
    e.body[3] = static_cast<uint8_t>(fo);
    e.body[4] = static_cast<uint8_t>(id >> 24);
    e.body[7] = static_cast<uint8_t>(id);
    exts_.push_back(std::move(e));
    return *this;
  }
  PacketBuilder& tcp(uint16_t sport, uint16_t dport, uint8_t flags = 0x18, uint32_t seq = 1000,
                     Bytes options = {}) {
    l4_proto_ = 6;
    sport_ = sport;
    dport_ = dport;
    tcp_flags_ = flags;
    seq_ = seq;
    tcp_opts_ = std::move(options);
    has_l4_header_ = true;
    return *this;
  }
  PacketBuilder& udp(uint16_t sport, uint16_t dport) {
    l4_proto_ = 17;
    sport_ = sport;
    dport_ = dport;
    has_l4_header_ = true;
    return *this;
  }
  // Another IP protocol, or TCP/UDP bytes written raw through payload() (a later fragment).
  PacketBuilder& protocol(uint8_t proto) {
    l4_proto_ = proto;
    has_l4_header_ = false;
    return *this;
  }
  PacketBuilder& payload(Bytes p) {
    payload_ = std::move(p);
    return *this;
  }
  PacketBuilder& payload(std::string_view s) { return payload(bytes_of(s)); }
  // Bytes after the IP datagram, as a NIC delivers for frames under the 60-byte minimum.
  PacketBuilder& padding(size_t n) {
    padding_ = n;
    return *this;
  }

  Bytes build() const {
    Bytes f = {0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2};
    for (const Tag& t : tags_) {
      put16(f, t.tpid);
      put16(f, t.vid);
    }
    if (ip_version_ == 0) {
      put16(f, ethertype_);
      append(f, payload_);
      f.resize(f.size() + padding_, 0);
      return f;
    }
    put16(f, ip_version_ == 4 ? 0x0800 : 0x86dd);
    Bytes l4 = l4_bytes();
    if (ip_version_ == 4) {
      Bytes opts = v4opts_;
      while (opts.size() % 4 != 0) opts.push_back(0);
      const size_t hl = 20 + opts.size();
      const size_t start = f.size();
      f.push_back(static_cast<uint8_t>(0x40 | (v4ihl_override_ ? v4ihl_override_ : hl / 4)));
      f.push_back(0);
      put16(f, v4total_override_ ? v4total_override_ : static_cast<uint16_t>(hl + l4.size()));
      put16(f, 0x4242);
      put16(f, v4frag_);
      f.push_back(64);
      f.push_back(l4_proto_);
      put16(f, 0);
      f.insert(f.end(), v4src_.begin(), v4src_.end());
      f.insert(f.end(), v4dst_.begin(), v4dst_.end());
      append(f, opts);
      uint32_t sum = 0;
      for (size_t i = 0; i < hl; i += 2) sum += (f[start + i] << 8) | f[start + i + 1];
      while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
      set16(f, start + 10, static_cast<uint16_t>(~sum));
    } else {
      size_t ext_len = 0;
      for (const Ext& e : exts_) ext_len += e.body.size();
      put32(f, 0x60000000);
      put16(f, static_cast<uint16_t>(ext_len + l4.size()));
      f.push_back(exts_.empty() ? l4_proto_ : exts_[0].type);
      f.push_back(64);
      f.insert(f.end(), v6src_.begin(), v6src_.end());
      f.insert(f.end(), v6dst_.begin(), v6dst_.end());
      for (size_t i = 0; i < exts_.size(); ++i) {
        Bytes body = exts_[i].body;
        body[0] = i + 1 < exts_.size() ? exts_[i + 1].type : l4_proto_;
        append(f, body);
      }
    }
    append(f, l4);
    f.resize(f.size() + padding_, 0);
    return f;
  }

 private:
  struct Tag {
    uint16_t tpid, vid;
  };
  struct Ext {
    uint8_t type;
    Bytes body;
  };

  Bytes l4_bytes() const {
    Bytes b;
    if (has_l4_header_ && l4_proto_ == 6) {
      Bytes opts = tcp_opts_;
      while (opts.size() % 4 != 0) opts.push_back(1);  // NOP
      put16(b, sport_);
      put16(b, dport_);
      put32(b, seq_);
      put32(b, 0);
      b.push_back(static_cast<uint8_t>(((20 + opts.size()) / 4) << 4));
      b.push_back(tcp_flags_);
      put16(b, 65535);
      put16(b, 0);
      put16(b, 0);
      append(b, opts);
    } else if (has_l4_header_ && l4_proto_ == 17) {
      put16(b, sport_);
      put16(b, dport_);
      put16(b, static_cast<uint16_t>(8 + payload_.size()));
      put16(b, 0);
    }
    append(b, payload_);
    return b;
  }

  std::vector<Tag> tags_;
  uint16_t ethertype_ = 0x0806;
  int ip_version_ = 0;
  std::array<uint8_t, 4> v4src_{}, v4dst_{};
  Bytes v4opts_;
  uint16_t v4frag_ = 0;
  uint16_t v4total_override_ = 0;
  uint8_t v4ihl_override_ = 0;
  std::array<uint8_t, 16> v6src_{}, v6dst_{};
  std::vector<Ext> exts_;
  uint8_t l4_proto_ = 59;
  bool has_l4_header_ = false;
  uint16_t sport_ = 0, dport_ = 0;
  uint8_t tcp_flags_ = 0;
  uint32_t seq_ = 0;
  Bytes tcp_opts_;
  Bytes payload_;
  size_t padding_ = 0;
};

}  // namespace iocgate::test

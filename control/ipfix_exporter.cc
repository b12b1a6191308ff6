// control/ipfix_exporter.cc — IPFIX message, template and data set encoding, and the UDP socket.

#include "control/ipfix_exporter.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "control/tsc_clock.h"

namespace iocgate {

namespace {

using namespace ipfix;

constexpr size_t kHeaderLen = 16;
constexpr int64_t kTemplateEveryMs = 30000;

void be16(std::string* s, uint16_t v) {
  s->push_back(static_cast<char>(v >> 8));
  s->push_back(static_cast<char>(v));
}
void be32(std::string* s, uint32_t v) {
  be16(s, static_cast<uint16_t>(v >> 16));
  be16(s, static_cast<uint16_t>(v));
}
void be64(std::string* s, uint64_t v) {
  be32(s, static_cast<uint32_t>(v >> 32));
  be32(s, static_cast<uint32_t>(v));
}
void set_be16(std::string* s, size_t at, uint16_t v) {
  (*s)[at] = static_cast<char>(v >> 8);
  (*s)[at + 1] = static_cast<char>(v);
}

struct Field {
  uint16_t id;
  uint16_t len;   // 0xFFFF: variable length
  uint32_t pen;   // 0: IANA
};

constexpr uint16_t kVar = 0xFFFF;

// The one field list; the v6 template differs only in the address elements.
std::vector<Field> fields(bool v6) {
  return {{152, 8, 0},                            // flowStartMilliseconds
          {153, 8, 0},                            // flowEndMilliseconds
          {static_cast<uint16_t>(v6 ? 27 : 8), static_cast<uint16_t>(v6 ? 16 : 4), 0},   // source address
          {static_cast<uint16_t>(v6 ? 28 : 12), static_cast<uint16_t>(v6 ? 16 : 4), 0},  // destination address
          {7, 2, 0},                              // sourceTransportPort
          {11, 2, 0},                             // destinationTransportPort
          {4, 1, 0},                              // protocolIdentifier
          {6, 1, 0},                              // tcpControlBits (the classic 8 bits)
          {58, 2, 0},                             // vlanId
          {1, 8, 0},                              // octetDeltaCount: source (client) to destination
          {2, 8, 0},                              // packetDeltaCount
          {1, 8, kReversePen},                    // reverseOctetDeltaCount (RFC 5103)
          {2, 8, kReversePen},                    // reversePacketDeltaCount
          {136, 1, 0},                            // flowEndReason
          {239, 1, 0},                            // biflowDirection: 1 initiator, 0 arbitrary
          {460, kVar, 0},                         // httpRequestHost
          {kIeDnsQueryName, kVar, kIocgatePen},
          {kIeTlsServerName, kVar, kIocgatePen},
          {kIeDnsAnswerAddresses, kVar, kIocgatePen},  // 16 bytes each (IPv4 as ::ffff:a.b.c.d)
          {kIeVerdict, 1, kIocgatePen}};              // table::Action: 0 none, 1 alert, 2 mirror, 3 drop, 4 allow
}

void var_field(std::string* s, const void* p, size_t n) {
  if (n < 255) {
    s->push_back(static_cast<char>(n));
  } else {
    s->push_back(static_cast<char>(0xFF));
    be16(s, static_cast<uint16_t>(n));
  }
  s->append(static_cast<const char*>(p), n);
}

}  // namespace

IpfixEncoder::IpfixEncoder(uint32_t observation_domain, size_t max_message)
    : domain_(observation_domain), max_(max_message < 512 ? 512 : max_message) {}

void IpfixEncoder::begin(int64_t now_ms) {
  msg_.clear();
  be16(&msg_, 10);  // version
  be16(&msg_, 0);   // length, set when closed
  be32(&msg_, static_cast<uint32_t>(now_ms / 1000));
  be32(&msg_, sequence_);
  be32(&msg_, domain_);
  set_at_ = 0;
  in_message_ = 0;
  if (templates_due_) {
    open_set(2);
    for (bool v6 : {false, true}) {
      const std::vector<Field> f = fields(v6);
      be16(&msg_, v6 ? kTemplateV6 : kTemplateV4);
      be16(&msg_, static_cast<uint16_t>(f.size()));
      for (const Field& x : f) {
        be16(&msg_, static_cast<uint16_t>(x.id | (x.pen != 0 ? 0x8000 : 0)));
        be16(&msg_, x.len);
        if (x.pen != 0) be32(&msg_, x.pen);
      }
    }
    close_set();
    templates_due_ = false;
  }
}

void IpfixEncoder::open_set(uint16_t id) {
  set_at_ = msg_.size();
  set_id_ = id;
  be16(&msg_, id);
  be16(&msg_, 0);
}

void IpfixEncoder::close_set() {
  if (set_at_ == 0) return;
  set_be16(&msg_, set_at_ + 2, static_cast<uint16_t>(msg_.size() - set_at_));
  set_at_ = 0;
}

void IpfixEncoder::close_message(std::vector<std::string>* out) {
  close_set();
  set_be16(&msg_, 2, static_cast<uint16_t>(msg_.size()));
  sequence_ += in_message_;
  out->push_back(std::move(msg_));
  msg_.clear();
}

void IpfixEncoder::add(const FlowRow& r, int64_t now_ms, std::vector<std::string>* out) {
  const bool v6 = r.ip_version == 6;
  std::string rec;
  be64(&rec, static_cast<uint64_t>(r.first_ms));
  be64(&rec, static_cast<uint64_t>(r.last_ms));
  rec.append(reinterpret_cast<const char*>(r.client), v6 ? 16 : 4);
  rec.append(reinterpret_cast<const char*>(r.server), v6 ? 16 : 4);
  be16(&rec, r.client_port);
  be16(&rec, r.server_port);
  rec.push_back(static_cast<char>(r.proto));
  rec.push_back(static_cast<char>(r.tcp_flags));
  be16(&rec, r.vlan_count != 0 ? r.vlan : 0);
  be64(&rec, r.bytes[0]);
  be64(&rec, r.packets[0]);
  be64(&rec, r.bytes[1]);
  be64(&rec, r.packets[1]);
  rec.push_back(static_cast<char>(r.end));
  rec.push_back(static_cast<char>((r.flags & kFlowClientKnown) ? 1 : 0));
  std::string host, qname, sni;
  for_each_name(r, [&](FlowNameKind k, const char* p, size_t n) {
    std::string& dst = k == FlowNameKind::kHttpHost ? host : k == FlowNameKind::kSni ? sni : qname;
    if (dst.empty()) dst.assign(p, n);
  });
  var_field(&rec, host.data(), host.size());
  var_field(&rec, qname.data(), qname.size());
  var_field(&rec, sni.data(), sni.size());
  std::string answers;
  for (uint8_t i = 0; i < r.answer_count; ++i) {
    if ((r.answer_v6 >> i) & 1) {
      answers.append(reinterpret_cast<const char*>(r.answers[i]), 16);
    } else {
      static const char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '\xff', '\xff'};
      answers.append(kMapped, 12);
      answers.append(reinterpret_cast<const char*>(r.answers[i]), 4);
    }
  }
  var_field(&rec, answers.data(), answers.size());
  rec.push_back(static_cast<char>(r.action));

  const uint16_t tid = v6 ? kTemplateV6 : kTemplateV4;
  if (!msg_.empty() && msg_.size() + rec.size() + 4 > max_) close_message(out);
  if (msg_.empty()) begin(now_ms);
  if (set_at_ == 0 || set_id_ != tid) {
    close_set();
    open_set(tid);
  }
  msg_ += rec;
  ++in_message_;
  ++records_;
}

void IpfixEncoder::finish(int64_t now_ms, std::vector<std::string>* out) {
  (void)now_ms;
  if (!msg_.empty()) close_message(out);
}

Result<std::unique_ptr<IpfixExporter>> IpfixExporter::open(const std::string& target, uint32_t observation_domain) {
  std::string host, port;
  if (!target.empty() && target[0] == '[') {
    const size_t close = target.find(']');
    if (close == std::string::npos || close + 1 >= target.size() || target[close + 1] != ':')
      return Status::error("[history] ipfix '" + target + "': use host:port or [v6 address]:port");
    host = target.substr(1, close - 1);
    port = target.substr(close + 2);
  } else {
    const size_t colon = target.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == target.size())
      return Status::error("[history] ipfix '" + target + "': use host:port or [v6 address]:port");
    host = target.substr(0, colon);
    port = target.substr(colon + 1);
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  if (const int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0)
    return Status::error("[history] ipfix '" + target + "': " + gai_strerror(rc));
  int fd = -1;
  std::string why;
  for (addrinfo* a = res; a != nullptr && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      why = std::strerror(errno);
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  if (fd < 0) return Status::error("[history] ipfix '" + target + "': cannot open a UDP socket to it: " + why);
  return std::unique_ptr<IpfixExporter>(new IpfixExporter(fd, target, observation_domain));
}

IpfixExporter::IpfixExporter(int fd, std::string target, uint32_t domain)
    : fd_(fd), target_(std::move(target)), enc_(domain) {}

IpfixExporter::~IpfixExporter() {
  if (fd_ >= 0) close(fd_);
}

void IpfixExporter::send(std::vector<std::string>& msgs) {
  for (const std::string& m : msgs) {
    // A collector that is down or slow loses the message; the flow history keeps it.
    if (::send(fd_, m.data(), m.size(), 0) == static_cast<ssize_t>(m.size())) {
      ++c_.messages;
      c_.bytes += m.size();
    } else {
      ++c_.send_errors;
    }
  }
  msgs.clear();
}

void IpfixExporter::add(const FlowRow& r) {
  const int64_t now = TscClock::wall_now_ms();
  if (now - templates_ms_ >= kTemplateEveryMs) {
    enc_.finish(now, &out_);
    enc_.resend_templates();
    templates_ms_ = now;
  }
  if (enc_.empty()) started_ms_ = now;
  enc_.add(r, now, &out_);
  if (!out_.empty()) {
    send(out_);
    started_ms_ = now;
  }
  c_.records = enc_.records();
}

void IpfixExporter::tick(int64_t now_ms, bool force) {
  if (!enc_.empty() && (force || now_ms - started_ms_ >= 1000)) {
    enc_.finish(now_ms, &out_);
    send(out_);
  }
}

IpfixCounters IpfixExporter::counters() const { return c_; }

}  // namespace iocgate

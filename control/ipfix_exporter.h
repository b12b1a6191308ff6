// control/ipfix_exporter.h — flow records to an IPFIX collector (RFC 7011) over UDP, as
// biflows (RFC 5103 reverse counters), with the names the appliance read as variable-length
// fields: HTTP Host as IANA's httpRequestHost, the DNS query name, TLS SNI, the DNS answer's
// addresses and the verdict as enterprise-specific elements. Templates go out first and are
// sent again every 30 s (UDP has no session to keep them). Off the hot path: the flow
// collector's thread calls it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "control/flow_row.h"

namespace iocgate {

// Information elements of the templates (the exporter's one source for them).
namespace ipfix {
inline constexpr uint16_t kTemplateV4 = 256, kTemplateV6 = 257;
// RFC 5612's enterprise number for documentation: iocgate has none of its own yet. A
// collector that does not know these elements skips them by their length (RFC 7011 8.2).
inline constexpr uint32_t kIocgatePen = 32473;
inline constexpr uint16_t kIeDnsQueryName = 1, kIeTlsServerName = 2, kIeDnsAnswerAddresses = 3, kIeVerdict = 4;
inline constexpr uint32_t kReversePen = 29305;  // RFC 5103
}  // namespace ipfix

// Builds messages; pure, for tests.
class IpfixEncoder {
 public:
  explicit IpfixEncoder(uint32_t observation_domain, size_t max_message = 1400);
  // Adds a row; a message that became full is appended to *out.
  void add(const FlowRow& r, int64_t now_ms, std::vector<std::string>* out);
  // The message being filled, if any, to *out.
  void finish(int64_t now_ms, std::vector<std::string>* out);
  // The next message starts with the templates again.
  void resend_templates() { templates_due_ = true; }
  uint64_t records() const { return records_; }
  bool empty() const { return msg_.empty(); }

 private:
  void begin(int64_t now_ms);
  void open_set(uint16_t id);
  void close_set();
  void close_message(std::vector<std::string>* out);

  uint32_t domain_;
  size_t max_;
  std::string msg_;
  size_t set_at_ = 0;       // offset of the open set's header, 0 when none
  uint16_t set_id_ = 0;
  uint32_t sequence_ = 0;   // data records in earlier messages, modulo 2^32
  uint32_t in_message_ = 0;
  uint64_t records_ = 0;
  bool templates_due_ = true;
};

struct IpfixCounters {
  uint64_t messages = 0, records = 0, bytes = 0, send_errors = 0;
};

class IpfixExporter {
 public:
  // `target`: "host:port" or "[v6]:port" ([history] ipfix). Resolved once, here.
  static Result<std::unique_ptr<IpfixExporter>> open(const std::string& target, uint32_t observation_domain = 1);
  ~IpfixExporter();

  void add(const FlowRow& r);
  // Sends a partly filled message older than a second (or at once with force), and the
  // templates every 30 s.
  void tick(int64_t now_ms, bool force = false);
  IpfixCounters counters() const;
  const std::string& target() const { return target_; }

 private:
  IpfixExporter(int fd, std::string target, uint32_t domain);
  void send(std::vector<std::string>& msgs);

  int fd_;
  std::string target_;
  IpfixEncoder enc_;
  std::vector<std::string> out_;
  int64_t started_ms_ = 0;   // when the message being filled got its first record
  int64_t templates_ms_ = 0;
  IpfixCounters c_;
};

}  // namespace iocgate

// control/report_query.h — what a review report covers (period, feeds, advisories, groups,
// hosts) and the names it may be asked for: the appliance's current feeds plus every name
// with hits in the review store. A name in neither is an error that lists the known ones, so
// a typo never passes for "no hits". Used by the control process and iocctl --state-dir.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "control/ctl_request.h"
#include "control/hit_record.h"
#include "control/hit_store.h"

namespace iocgate {

struct ReportQuery {
  int64_t since_ms = 0;
  int64_t until_ms = 0;       // end of the period (the report's generation time for "now")
  int64_t generated_ms = 0;
  int utc_offset_minutes = 0; // how the report's times read (the data stays UTC)
  // Within one kind any name matches; across kinds one listing must match them all:
  // --feed apt --advisory 941/CATTT-NCSC keeps hits of apt's listings of that advisory.
  std::vector<std::string> feeds, advisories, groups;
  std::vector<std::string> hosts;  // addresses or CIDRs: the internal host is one of them
  std::string instance;
};

// The names a report may be asked for.
struct ReportCatalog {
  struct Feed {
    std::string name, advisory, group;
  };
  std::vector<Feed> current;           // the feeds the appliance has now
  HitNames seen;                       // names with hits (HitStore::names, read_hit_names)
  std::vector<ForgetEntry> forgotten;  // read_forget_audit: said in the report
};

// The request iocctl sent, as a query at `now_ms`; an error names the option.
Result<ReportQuery> report_query_of(const ReportRequest& req, int64_t now_ms, const std::string& instance);

// Every name asked for is known, every host an address or CIDR, the period not reversed.
// The error lists all the unknown names and the known ones of their kind.
Status check_report_query(const ReportQuery& q, const ReportCatalog& c);

// An address or CIDR list a host is tested against.
class HostFilter {
 public:
  // False with *error naming the bad entry.
  bool parse(const std::vector<std::string>& hosts, std::string* error);
  bool empty() const { return nets_.empty(); }
  bool contains(const std::string& host) const;  // an unparsable host matches no filter

 private:
  struct Net {
    int family;
    uint8_t len;
    uint8_t addr[16];
  };
  std::vector<Net> nets_;
};

// The listings of `r` the query's feed/advisory/group filter keeps (every listing when it
// has none); empty when the record is not in the report.
std::vector<HitListing> matching_listings(const HitRecord& r, const ReportQuery& q);

}  // namespace iocgate

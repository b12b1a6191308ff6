// control/hunt.h — "which internal hosts contacted these IoCs", asked of the flow history:
// every flow whose address is listed (host or prefix), whose DNS query, TLS SNI or HTTP Host
// is a listed name or under one, and every flow to an address that a DNS answer for a listed
// name held at the time, aggregated per internal host and what was seen. Pure over the store
// (no table in force, no dataplane), so it answers for IoCs nobody enforced then.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "control/event_collector.h"
#include "control/history_store.h"
#include "feeds/ioc.h"

namespace iocgate {

struct HuntFeed {
  std::string name;       // the feed, or the file the IoCs came from
  std::string advisory, group;
  std::vector<Ioc> iocs;
};

struct HuntQuery {
  std::vector<HuntFeed> feeds;
  int64_t since_ms = 0;
  int64_t until_ms = std::numeric_limits<int64_t>::max();
  unsigned threads = 0;  // 0: one per core
  // A DNS answer binds its addresses to the name from the query until the answer's TTL, but
  // at least this long: stub resolvers and applications keep answers past short TTLs.
  int64_t resolved_window_ms = 3600 * 1000;
  // A push's look-back answers within this many seconds (0: no limit): the blocks not read
  // by then are counted, and the line says to run the full hunt.
  double budget_seconds = 0;
};

// How a host's flow touched an IoC.
inline constexpr const char* kHowAddress = "address";
inline constexpr const char* kHowDns = "dns";
inline constexpr const char* kHowSni = "sni";
inline constexpr const char* kHowHttpHost = "http-host";
inline constexpr const char* kHowResolved = "resolved";

struct HuntContact {
  std::string host;           // the internal end of the flows
  std::string ioc;            // as listed: "203.0.113.0/24", "evil.example"
  std::string how;            // kHow* above
  std::string seen;           // what the flows carried: the address or the exact name
  std::string resolved_from;  // how == resolved: the name whose DNS answer held `seen`
  std::string feed, advisory, group;
  int64_t first_ms = 0, last_ms = 0;
  uint64_t flows = 0, bytes = 0, packets = 0;
};

struct HuntResult {
  std::vector<HuntContact> contacts;  // by host, then first seen
  uint64_t records = 0;               // flow records read (both passes)
  uint64_t blocks = 0;                // blocks read (both passes)
  uint64_t damaged = 0;               // blocks that could not be read (named in problems)
  uint64_t unread = 0;                // blocks left unread when the budget ran out
  std::vector<std::string> problems;  // the first few
  uint64_t iocs = 0;                  // distinct IoCs hunted
  uint64_t bindings = 0;              // answer addresses of listed names found
  int64_t history_from_ms = 0;        // the oldest stored flow: the hunt cannot see before it
  double seconds = 0;
  double compile_seconds = 0;         // of that, compiling the IoCs
};

// Compiles the IoCs (an error names the limit hit) and reads the history.
Result<HuntResult> run_hunt(const HistoryStore& store, const HuntQuery& q, const InternalNetworks& nets);

// The reply of `iocctl hunt` and the push summary: hosts with their contacts, the scope.
nlohmann::json hunt_json(const HuntResult& r, const HuntQuery& q);

// "7 internal hosts contacted these IoCs in the last 30 days; `iocctl hunt --feed NAME` lists
// them", from hunt_json's reply, as `iocctl feed push` prints it.
std::string hunt_summary_line(const nlohmann::json& hunt, const std::string& feed, int64_t days);

}  // namespace iocgate

// feeds/ioc.h — the IoC model that every feed parser produces and the table compiler consumes.
// Plain values and no I/O: parsers are pure functions from bytes to a ParsedFeed or a FeedError.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iocgate {

// What the wire can match. Hosts and prefixes share a kind: a host is a /32 or /128.
enum class IocKind : uint8_t { kIpv4, kIpv6, kDomain };

// How the entry was written, for reports ("ipv4", "cidr4", "url-host", ...).
enum class IocForm : uint8_t { kAddress, kCidr, kDomain, kUrlHost };

struct Ioc {
  IocKind kind = IocKind::kIpv4;
  IocForm form = IocForm::kAddress;
  uint8_t prefix_len = 0;            // 32 or 128 for a host; 0 for a domain
  std::array<uint8_t, 16> addr{};    // network byte order, IPv4 in [0, 4), host bits zero
  std::string domain;                // lower-case ASCII (IDN as punycode), no trailing dot
  uint32_t line = 0;                 // 1-based line in the file; for JSON, the object's index
  std::string label;                 // provenance: STIX name, MISP comment, trailing '#' comment
  int64_t valid_until = 0;           // unix seconds; 0 = no expiry known
};

// Appended only: the values are not persisted, but tests and reports name them.
enum class FeedFormat : uint8_t {
  kAuto, kPlain, kMispCsv, kStix21,
  kMispJson,        // {"Event":{...}} or {"response":[{"Event":...}]}
  kFireholSet,      // FireHOL .netset/.ipset: plain list with a '#' header block
  kSpamhausDrop,    // Spamhaus DROP/EDROP text: "CIDR ; SBLnnn"
  kSpamhausJson,    // Spamhaus DROP JSON lines: {"cidr":...,"sblid":...}
  kFeodoCsv,        // abuse.ch Feodo Tracker CSV
  kFeodoPlain,      // abuse.ch Feodo Tracker plain IP list
  kThreatfoxCsv,    // abuse.ch ThreatFox CSV export
  kThreatfoxJson,   // abuse.ch ThreatFox JSON export or API response
  kUrlhausCsv,      // abuse.ch URLhaus CSV dump
  kAdblock,         // urlhaus-filter style "||host^" list
  kRpz,             // DNS response-policy zone ("name CNAME .")
  kText,            // IoCs extracted from an advisory's prose and tables
  kTable,           // delimited IoC table (CSV/TSV/';') with a value column
  kPdf,             // PDF appendix: its tables, else its text
  kXlsx,            // Excel workbook: each sheet as a table
  kDocx,            // Word document: its tables and its paragraphs
};

// One row of the format registry (feeds/feed_formats.cc): the one table every `--format`
// option, help text and report reads.
struct FeedFormatInfo {
  FeedFormat format;
  const char* name;         // what --format takes and reports print: "misp-json"
  const char* description;  // one line for help texts: "MISP event JSON ({\"Event\": ...})"
};

// Every format, kAuto first; ends at the entry whose name is nullptr.
const FeedFormatInfo* feed_formats();

const char* feed_format_name(FeedFormat f);
// The format named `name` ("misp-json", "text", ...); nullopt for an unknown name. The one
// parser of a format name: `feed check --format` and `iocctl feed push --format` call it.
std::optional<FeedFormat> feed_format_from_name(std::string_view name);
// "auto, plain, misp-csv, ...": the accepted names, for an error message or help text.
std::string feed_format_names();

// A parse failure. The whole feed is rejected: one bad entry means the file is not what
// the operator thinks it is.
struct FeedError {
  std::string file;
  uint32_t line = 0;   // 0 when the error concerns the whole file
  std::string reason;
  // "FILE:LINE: reason" (or "FILE: reason" when line is 0).
  std::string message() const;
};

struct ParsedFeed {
  FeedFormat format = FeedFormat::kAuto;
  std::vector<Ioc> iocs;
  // Entries read but not enforceable or not to be enforced, by reason:
  // "sha256", "md5", "email", "to_ids=0", "revoked", "expired", ... Never silently dropped.
  std::map<std::string, uint64_t> skipped;
  // Feed-level provenance, copied into every hit report (table::FeedMeta): the advisory id
  // or event title, and the group or campaign. Empty when the feed does not say.
  std::string advisory;
  std::string group;
  // What the parser deliberately ignored and why ("12: 'setup.exe' is not a registrable
  // domain"), so an operator can check that nothing was lost. Capped; see notes_dropped.
  std::vector<std::string> notes;
  uint64_t notes_dropped = 0;
  // Every entry that carried a validity (STIX valid_until) is past it and nothing is left
  // to enforce: the advisory is over. Set by parse_feed (feed_fully_expired) for a warning.
  bool expired = false;
  // IoCs taken only because of ParseOptions::include_not_for_ids (they are in `iocs`).
  uint64_t not_for_ids = 0;
};

struct ParseOptions {
  std::string file_name;              // used in error messages only
  int64_t now_unix = 0;               // for STIX valid_until; 0 = take the wall clock
  FeedFormat format = FeedFormat::kAuto;
  // Take entries the publisher marked as not for detection (MISP to_ids=false): the
  // operator enforces an advisory's context too. Counted in ParsedFeed::not_for_ids.
  bool include_not_for_ids = false;
};

struct FeedParseResult {
  std::optional<FeedError> error;     // set: the feed is rejected and `feed` is meaningless
  ParsedFeed feed;
  bool ok() const { return !error.has_value(); }
};

}  // namespace iocgate

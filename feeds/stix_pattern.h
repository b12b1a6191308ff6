// feeds/stix_pattern.h — parses the STIX 2.1 patterning language far enough to pull out the
// equality tests a packet filter can enforce, and to tell them from everything it cannot.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iocgate {

struct StixComparison {
  std::string object_type;  // "ipv4-addr", "file", ...
  std::string property;     // "value", "hashes.'SHA-256'", ...
  std::string op;           // "=", "!=", "LIKE", "MATCHES", ... ("NOT " prefixed when negated)
  bool string_value = false;
  std::string value;        // unescaped, when string_value
};

struct StixPattern {
  std::vector<StixComparison> comparisons;  // in pattern order
  // True when every comparison and observation is joined by OR and none is qualified
  // (WITHIN, REPEATS, START/STOP): only then does matching any one comparison mean a match.
  bool disjunction_only = true;
};

// nullopt with `error` set (e.g. "unterminated string at column 17") when `text` is not a
// syntactically valid pattern.
std::optional<StixPattern> parse_stix_pattern(std::string_view text, std::string& error);

}  // namespace iocgate

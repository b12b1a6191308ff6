// feeds/domain_name.cc — see domain_name.h.
#include "feeds/domain_name.h"

#include <fmt/format.h>

namespace iocgate {
namespace {

bool is_ldh(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// Non-printable bytes would corrupt the terminal or log line the message lands in.
std::string printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
    else out += static_cast<char>(c);
  }
  return out;
}

}  // namespace

std::optional<std::string> normalize_domain(std::string_view text, std::string& error) {
  std::string name;
  name.reserve(text.size());
  for (char c : text) name += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  if (!name.empty() && name.back() == '.') name.pop_back();
  auto fail = [&](std::string_view why) {
    error = fmt::format("'{}' is not a domain name: {}", printable(text), why);
    return std::nullopt;
  };
  if (name.empty()) return fail("empty");
  if (name.find_first_not_of("0123456789.") == std::string::npos)
    return fail("it is written like an IPv4 address; list addresses as addresses");
  for (unsigned char c : name) {
    if (c >= 0x80) return fail("it has non-ASCII characters; convert the IDN to punycode ('xn--...')");
  }
  if (name.size() > 253) return fail(fmt::format("{} characters, the limit is 253", name.size()));
  size_t labels = 0;
  size_t pos = 0;
  std::string_view last;
  std::string_view all(name);
  while (true) {
    size_t end = all.find('.', pos);
    std::string_view label = all.substr(pos, end == std::string_view::npos ? all.size() - pos : end - pos);
    if (label.empty()) return fail("empty label ('..' or a leading dot)");
    if (label.size() > 63) return fail(fmt::format("label '{}' is longer than 63 characters", label));
    for (char c : label) {
      if (!is_ldh(c)) return fail(fmt::format("character '{}' is not allowed in a host name", printable(std::string_view(&c, 1))));
    }
    if (label.front() == '-' || label.back() == '-')
      return fail(fmt::format("label '{}' starts or ends with '-'", label));
    ++labels;
    last = label;
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  if (labels < 2) return fail("a single label; a feed entry needs at least two ('example.com')");
  bool numeric = true;
  for (char c : last) numeric = numeric && c >= '0' && c <= '9';
  if (numeric) return fail(fmt::format("top-level label '{}' is numeric", last));
  return name;
}

}  // namespace iocgate

// feeds/ip_prefix.cc — see ip_prefix.h.
#include "feeds/ip_prefix.h"

#include <fmt/format.h>

namespace iocgate {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parses the dotted quad without producing a message, so IPv6 can reuse it for its
// embedded-IPv4 tail and word its own error.
std::optional<std::array<uint8_t, 4>> ipv4_core(std::string_view s, std::string& why) {
  size_t parts = 1;
  for (char c : s) parts += c == '.';
  if (parts != 4) {
    why = fmt::format("expected 4 dotted octets, found {}", parts);
    return std::nullopt;
  }
  std::array<uint8_t, 4> out{};
  size_t pos = 0;
  for (size_t i = 0; i < 4; ++i) {
    size_t end = i < 3 ? s.find('.', pos) : s.size();
    std::string_view part = s.substr(pos, end - pos);
    pos = end + 1;
    if (part.empty()) {
      why = "empty octet";
      return std::nullopt;
    }
    for (char c : part) {
      if (!is_digit(c)) {
        why = fmt::format("octet '{}' is not a decimal number", part);
        return std::nullopt;
      }
    }
    // Leading zeros are read as octal by inet_aton and as decimal by others: refuse to guess.
    if (part.size() > 1 && part[0] == '0') {
      why = fmt::format("octet '{}' has a leading zero (octal or decimal?)", part);
      return std::nullopt;
    }
    // Digits only, at most 3: the value is summed in place (a million lines, no string each).
    unsigned v = 0;
    for (char c : part) v = v * 10 + static_cast<unsigned>(c - '0');
    if (part.size() > 3 || v > 255) {
      why = fmt::format("octet {} is above 255", part);
      return std::nullopt;
    }
    out[i] = static_cast<uint8_t>(v);
  }
  return out;
}

std::optional<std::array<uint8_t, 16>> ipv6_core(std::string_view s, std::string& why) {
  if (s.find('%') != std::string_view::npos) {
    why = "zone indexes ('%') have no meaning in a feed";
    return std::nullopt;
  }
  std::array<uint16_t, 8> head{}, tail{};
  size_t n_head = 0, n_tail = 0;
  bool compressed = false;
  size_t dc = s.find("::");
  if (dc != std::string_view::npos) {
    if (s.find("::", dc + 1) != std::string_view::npos) {
      why = "'::' appears more than once";
      return std::nullopt;
    }
    compressed = true;
  }
  // Splits one side of '::' into 16-bit groups; an IPv4 tail counts as two groups.
  auto groups = [&](std::string_view part, std::array<uint16_t, 8>& g, size_t& n, bool last) -> bool {
    if (part.empty()) return true;
    size_t pos = 0;
    while (true) {
      size_t end = part.find(':', pos);
      std::string_view grp = part.substr(pos, end == std::string_view::npos ? part.size() - pos : end - pos);
      if (grp.empty()) {
        why = "empty group (single ':' where '::' or a group was expected)";
        return false;
      }
      if (end == std::string_view::npos && last && grp.find('.') != std::string_view::npos) {
        std::string v4why;
        auto v4 = ipv4_core(grp, v4why);
        if (!v4) {
          why = fmt::format("embedded IPv4 '{}': {}", grp, v4why);
          return false;
        }
        if (n + 2 > 8) {
          why = "more than 8 groups";
          return false;
        }
        g[n++] = static_cast<uint16_t>((*v4)[0] << 8 | (*v4)[1]);
        g[n++] = static_cast<uint16_t>((*v4)[2] << 8 | (*v4)[3]);
        return true;
      }
      if (grp.size() > 4) {
        why = fmt::format("group '{}' has more than 4 hex digits", grp);
        return false;
      }
      uint16_t v = 0;
      for (char c : grp) {
        int h = hex_value(c);
        if (h < 0) {
          why = fmt::format("group '{}' is not hexadecimal", grp);
          return false;
        }
        v = static_cast<uint16_t>(v << 4 | h);
      }
      if (n == 8) {
        why = "more than 8 groups";
        return false;
      }
      g[n++] = v;
      if (end == std::string_view::npos) return true;
      pos = end + 1;
    }
  };
  if (compressed) {
    if (!groups(s.substr(0, dc), head, n_head, false)) return std::nullopt;
    if (!groups(s.substr(dc + 2), tail, n_tail, true)) return std::nullopt;
    if (n_head + n_tail > 7) {
      why = "'::' stands for no group: the address already has 8";
      return std::nullopt;
    }
  } else {
    if (s.empty()) {
      why = "empty address";
      return std::nullopt;
    }
    if (!groups(s, head, n_head, true)) return std::nullopt;
    if (n_head != 8) {
      why = fmt::format("expected 8 groups, found {}", n_head);
      return std::nullopt;
    }
  }
  std::array<uint16_t, 8> all{};
  for (size_t i = 0; i < n_head; ++i) all[i] = head[i];
  for (size_t i = 0; i < n_tail; ++i) all[8 - n_tail + i] = tail[i];
  std::array<uint8_t, 16> out{};
  for (size_t i = 0; i < 8; ++i) {
    out[2 * i] = static_cast<uint8_t>(all[i] >> 8);
    out[2 * i + 1] = static_cast<uint8_t>(all[i] & 0xff);
  }
  return out;
}

}  // namespace

std::optional<std::array<uint8_t, 4>> parse_ipv4_address(std::string_view text, std::string& error) {
  std::string why;
  auto a = ipv4_core(text, why);
  if (!a) error = fmt::format("'{}' is not an IPv4 address: {}", text, why);
  return a;
}

std::optional<std::array<uint8_t, 16>> parse_ipv6_address(std::string_view text, std::string& error) {
  std::string why;
  auto a = ipv6_core(text, why);
  if (!a) error = fmt::format("'{}' is not an IPv6 address: {}", text, why);
  return a;
}

std::optional<IpPrefix> parse_ip_prefix(std::string_view text, std::string& error) {
  IpPrefix p;
  bool v6 = text.find(':') != std::string_view::npos;
  p.kind = v6 ? IocKind::kIpv6 : IocKind::kIpv4;
  const unsigned max_len = v6 ? 128 : 32;
  size_t slash = text.find('/');
  std::string_view addr_text = text.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view len_text = text.substr(slash + 1);
    p.is_cidr = true;
    bool digits = !len_text.empty() && len_text.size() <= 3;
    for (char c : len_text) digits = digits && is_digit(c);
    if (!digits) {
      error = fmt::format("'{}' is not a CIDR: prefix length '{}' is not a number", text, len_text);
      return std::nullopt;
    }
    unsigned len = static_cast<unsigned>(std::stoi(std::string(len_text)));
    if (len > max_len) {
      error = fmt::format("'{}' is not a CIDR: prefix length {} is out of range for {} (0..{})", text,
                          len, v6 ? "IPv6" : "IPv4", max_len);
      return std::nullopt;
    }
    p.prefix_len = static_cast<uint8_t>(len);
  } else {
    p.prefix_len = static_cast<uint8_t>(max_len);
  }
  if (v6) {
    auto a = parse_ipv6_address(addr_text, error);
    if (!a) return std::nullopt;
    p.addr = *a;
  } else {
    auto a = parse_ipv4_address(addr_text, error);
    if (!a) return std::nullopt;
    for (size_t i = 0; i < 4; ++i) p.addr[i] = (*a)[i];
  }
  for (unsigned bit = p.prefix_len; bit < max_len; ++bit) {
    uint8_t mask = static_cast<uint8_t>(0x80u >> (bit % 8));
    if (p.addr[bit / 8] & mask) {
      p.host_bits_were_set = true;
      p.addr[bit / 8] &= static_cast<uint8_t>(~mask);
    }
  }
  return p;
}

bool looks_like_ip(std::string_view text) {
  if (text.empty()) return false;
  bool colon = text.find(':') != std::string_view::npos;
  for (char c : text) {
    bool ok = is_digit(c) || c == '.' || c == '/' || (colon && (c == ':' || hex_value(c) >= 0));
    if (!ok) return false;
  }
  return true;
}

Ioc ioc_from_prefix(const IpPrefix& p, IocForm form) {
  Ioc ioc;
  ioc.kind = p.kind;
  ioc.form = form;
  ioc.prefix_len = p.prefix_len;
  ioc.addr = p.addr;
  return ioc;
}

}  // namespace iocgate

// feeds/feed_guards.cc — see feed_guards.h. Every refusal names the rule and the setting
// behind it, so the operator can fix the feed, the config, or force the entry knowingly.
#include "feeds/feed_guards.h"


#include <fmt/format.h>

#include "feeds/defang.h"
#include "feeds/domain_name.h"
#include "feeds/ioc_key.h"
#include "feeds/ioc_text.h"
#include "feeds/public_suffix.h"
#include "feeds/text_lines.h"
#include "feeds/utf8_bom.h"

namespace iocgate {
namespace {

struct SpecialRange {
  IocKind kind;
  std::array<uint8_t, 16> addr;
  uint8_t len;
  const char* text;
  const char* what;
};

// RFC 6890 ranges whose blocking breaks the host or the LAN, never the Internet's abuse.
const std::array<SpecialRange, 9> kSpecial{{
    {IocKind::kIpv4, {0, 0, 0, 0}, 8, "0.0.0.0/8", "'this network' and the unspecified address"},
    {IocKind::kIpv4, {127, 0, 0, 0}, 8, "127.0.0.0/8", "loopback"},
    {IocKind::kIpv4, {169, 254, 0, 0}, 16, "169.254.0.0/16", "link-local"},
    {IocKind::kIpv4, {224, 0, 0, 0}, 4, "224.0.0.0/4", "multicast"},
    {IocKind::kIpv4, {255, 255, 255, 255}, 32, "255.255.255.255", "broadcast"},
    {IocKind::kIpv6, {}, 128, "::", "the unspecified address"},
    {IocKind::kIpv6, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, "::1", "loopback"},
    {IocKind::kIpv6, {0xfe, 0x80}, 10, "fe80::/10", "link-local"},
    {IocKind::kIpv6, {0xff}, 8, "ff00::/8", "multicast"},
}};

bool same_prefix(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b, unsigned len) {
  for (unsigned i = 0; i < len / 8; ++i)
    if (a[i] != b[i]) return false;
  if (len % 8 == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - len % 8));
  return (a[len / 8] & mask) == (b[len / 8] & mask);
}

// Two prefixes overlap when the shorter one contains the other's network address.
bool overlaps(IocKind ka, const std::array<uint8_t, 16>& a, unsigned la, IocKind kb,
              const std::array<uint8_t, 16>& b, unsigned lb) {
  return ka == kb && same_prefix(a, b, std::min(la, lb));
}

bool is_within(std::string_view name, std::string_view parent) {
  return name == parent || (name.size() > parent.size() && name.ends_with(parent) &&
                            name[name.size() - parent.size() - 1] == '.');
}

std::string prefix_text(const IpPrefix& p) {
  Ioc i = ioc_from_prefix(p, p.is_cidr ? IocForm::kCidr : IocForm::kAddress);
  return ioc_text(i);
}

}  // namespace

std::optional<AllowEntry> parse_allow_entry(std::string_view text, std::string source, std::string& error) {
  AllowEntry e;
  e.text = std::string(text);
  e.source = std::move(source);
  std::string t = refang(text);
  if (looks_like_ip(t) || t.find(':') != std::string::npos) {
    e.prefix = parse_ip_prefix(t, error);
    if (!e.prefix) return std::nullopt;
    return e;
  }
  auto name = normalize_domain(t, error);
  if (!name) return std::nullopt;
  e.domain = std::move(*name);
  return e;
}

bool parse_allowlist(std::string_view content, const std::string& file, std::vector<AllowEntry>& out,
                     std::string& error) {
  for (const TextLine& l : TextLines(strip_utf8_bom(content))) {
    const uint32_t line_no = l.number;
    std::string_view line = l.text;
    if (size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = trim_blank(line);
    if (line.empty()) continue;
    std::string why;
    auto e = parse_allow_entry(line, fmt::format("{}:{}", file, line_no), why);
    if (!e) {
      error = fmt::format("{}:{}: {}", file, line_no, why);
      return false;
    }
    out.push_back(std::move(*e));
  }
  return true;
}

std::string GuardRefusal::message(std::string_view file) const {
  std::string_view name = file.empty() ? std::string_view("<feed>") : file;
  std::string where = line ? fmt::format("{}:{}", name, line) : std::string(name);
  return fmt::format("{}: '{}' {}; list it with --force to enforce anyway", where, entry, reason);
}

std::string guard_reason(const Ioc& ioc, const GuardConfig& config) {
  if (ioc.kind == IocKind::kDomain) {
    if (is_public_suffix(ioc.domain))
      return "is a public suffix: it would block every domain registered under it";
    for (const AllowEntry& a : config.allowlist) {
      if (a.domain.empty()) continue;
      if (is_within(ioc.domain, a.domain))
        return fmt::format("is covered by the allowlist entry '{}' ({})", a.text, a.source);
      if (is_within(a.domain, ioc.domain))
        return fmt::format("would also block the allowlisted '{}' ({})", a.text, a.source);
    }
    return {};
  }
  const bool v4 = ioc.kind == IocKind::kIpv4;
  const unsigned min_len = v4 ? config.min_prefix_v4 : config.min_prefix_v6;
  if (ioc.prefix_len < min_len)
    return fmt::format("is a /{}: prefixes shorter than /{} block too much (guard min_prefix_{})", ioc.prefix_len,
                       min_len, v4 ? "v4" : "v6");
  for (const SpecialRange& s : kSpecial)
    if (overlaps(ioc.kind, ioc.addr, ioc.prefix_len, s.kind, s.addr, s.len))
      return fmt::format("overlaps {} ({})", s.what, s.text);
  for (const OwnNetwork& n : config.own_networks)
    if (overlaps(ioc.kind, ioc.addr, ioc.prefix_len, n.prefix.kind, n.prefix.addr, n.prefix.prefix_len))
      return fmt::format("overlaps the operator's own network {} ({})", n.text.empty() ? prefix_text(n.prefix) : n.text,
                         n.source);
  for (const AllowEntry& a : config.allowlist)
    if (a.prefix && overlaps(ioc.kind, ioc.addr, ioc.prefix_len, a.prefix->kind, a.prefix->addr, a.prefix->prefix_len))
      return fmt::format("overlaps the allowlist entry '{}' ({})", a.text, a.source);
  return {};
}

GuardResult apply_guards(const ParsedFeed& feed, const GuardConfig& config, const std::set<std::string>& forced) {
  GuardResult r;
  r.mode = config.mode;
  r.accepted.reserve(feed.iocs.size());
  for (const Ioc& ioc : feed.iocs) {
    std::string why = guard_reason(ioc, config);
    if (why.empty()) {
      r.accepted.push_back(ioc);
      continue;
    }
    std::string text = ioc_text(ioc);
    if (forced.count(text)) {
      r.forced.push_back(text);
      r.accepted.push_back(ioc);
      continue;
    }
    r.refused.push_back(GuardRefusal{ioc.line, std::move(text), std::move(why)});
  }
  return r;
}

ShrinkDecision check_shrink(const ParsedFeed& previous, const ParsedFeed& next, const GuardConfig& config) {
  DistinctIocs now(next.iocs.size());
  for (const Ioc& i : next.iocs) now.insert(i);
  DistinctIocs before(previous.iocs.size());
  size_t removed = 0;
  for (const Ioc& i : previous.iocs) {
    bool is_new;
    before.insert(i, &is_new);
    if (is_new) removed += !now.contains(i);
  }
  ShrinkDecision d;
  if (before.empty()) return d;
  const double fraction = static_cast<double>(removed) / static_cast<double>(before.size());
  if (now.empty()) {
    d.hold = true;
    d.message = fmt::format("the update is empty: it would stop enforcing all {} IoCs; held for confirmation",
                            before.size());
  } else if (fraction > config.max_shrink_fraction) {
    d.hold = true;
    d.message = fmt::format("the update removes {} of {} IoCs ({:.0f}%, more than the {:.0f}% allowed by "
                            "[guards] max_shrink_percent); held for confirmation",
                            removed, before.size(), fraction * 100, config.max_shrink_fraction * 100);
  } else {
    d.message = fmt::format("the update removes {} of {} IoCs ({:.0f}%)", removed, before.size(), fraction * 100);
  }
  return d;
}

}  // namespace iocgate

// control/feed_recovery.cc — a feed's IoCs from the records, listings and slots of a table.

#include "control/feed_recovery.h"

#include <cstring>

namespace iocgate {

RecoveredFeed recover_feed(const table::IocTableView& view, const std::string& name) {
  RecoveredFeed out;
  if (view.empty()) return out;
  uint32_t feed = 0;
  for (; feed < view.feed_count(); ++feed)
    if (name == view.string_at(view.feed(feed).name_off)) break;
  if (feed == view.feed_count()) return out;
  const table::FeedRecord& fr = view.feed(feed);
  out.found = true;
  out.action = static_cast<table::Action>(fr.action);
  out.advisory = view.string_at(fr.advisory_off);
  out.group = view.string_at(fr.group_off);

  const std::vector<uint32_t> slot_of = view.build_describe_index();
  const table::Header& h = view.header();
  for (uint32_t rec = 0; rec < view.record_count(); ++rec) {
    const table::MatchRecord& r = view.record(rec);
    // Every line this feed lists the key at: one Ioc each, as the push added them.
    std::vector<uint32_t> lines;
    if (r.feed == feed) lines.push_back(r.line);
    for (auto [l, end] = view.more_listings(rec); l != end; ++l)
      if (l->feed == feed) lines.push_back(l->line);
    if (lines.empty()) continue;
    Ioc ioc;
    if (r.kind == 2) {
      ioc.kind = IocKind::kDomain;
      ioc.form = IocForm::kDomain;
      ioc.domain.assign(view.string_at(r.name_off), r.name_len);
    } else {
      if (rec >= slot_of.size() || slot_of[rec] == 0xffffffffu) continue;
      ioc.prefix_len = r.prefix_len;
      if (r.kind == 0) {
        ioc.kind = IocKind::kIpv4;
        ioc.form = r.prefix_len == 32 ? IocForm::kAddress : IocForm::kCidr;
        const auto* slots = reinterpret_cast<const table::V4Slot*>(view.base() + h.v4_by_len[r.prefix_len].offset);
        const uint32_t k = slots[slot_of[rec]].key;
        for (int i = 0; i < 4; ++i) ioc.addr[i] = static_cast<uint8_t>(k >> (24 - 8 * i));
      } else {
        ioc.kind = IocKind::kIpv6;
        ioc.form = r.prefix_len == 128 ? IocForm::kAddress : IocForm::kCidr;
        const auto* slots = reinterpret_cast<const table::V6Slot*>(view.base() + h.v6_by_len[r.prefix_len].offset);
        const table::V6Slot& s = slots[slot_of[rec]];
        for (int i = 0; i < 8; ++i) ioc.addr[i] = static_cast<uint8_t>(s.hi >> (56 - 8 * i));
        for (int i = 0; i < 8; ++i) ioc.addr[8 + i] = static_cast<uint8_t>(s.lo >> (56 - 8 * i));
      }
    }
    for (uint32_t line : lines) {
      ioc.line = line;
      out.iocs.push_back(ioc);
    }
  }
  return out;
}

}  // namespace iocgate

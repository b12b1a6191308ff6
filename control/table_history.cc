// control/table_history.cc — recent generations, mapped read-only, for resolving events.

#include "control/table_history.h"

#include "shm/event_text.h"

namespace iocgate {

Status TableHistory::add_file(const std::string& path, const TrustedOwners& owners, const TableIdentity& id) {
  Result<std::unique_ptr<MappedTable>> opened = MappedTable::open(path, owners, id);
  if (!opened.ok()) return opened.status();
  std::shared_ptr<MappedTable> t = std::move(*opened);
  const uint64_t g = t->generation();
  auto index = std::make_shared<const std::vector<uint32_t>>(t->view().build_describe_index());
  std::lock_guard<std::mutex> lock(mu_);
  tables_[g] = Generation{std::move(t), std::move(index)};
  while (tables_.size() > kKeep) tables_.erase(tables_.begin());
  return Status();
}

std::optional<ResolvedIoc> TableHistory::resolve(uint64_t generation, uint32_t match) const {
  std::shared_ptr<MappedTable> t;
  std::shared_ptr<const std::vector<uint32_t>> index;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = tables_.find(generation);
    if (it == tables_.end()) return std::nullopt;
    t = it->second.table;
    index = it->second.describe_index;
  }
  return resolve_in(t->view(), *index, match);
}

std::optional<ResolvedIoc> TableHistory::resolve_by_key(const MatchEvent& e) const {
  std::shared_ptr<MappedTable> t;
  std::shared_ptr<const std::vector<uint32_t>> index;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (tables_.empty()) return std::nullopt;
    t = tables_.rbegin()->second.table;
    index = tables_.rbegin()->second.describe_index;
  }
  const table::IocTableView& v = t->view();
  table::Match m;
  if (e.name_len > 0) {
    m = v.lookup_domain(e.name, std::min<size_t>(e.name_len, sizeof(e.name)));
  } else {
    const uint8_t* addr = static_cast<IocSide>(e.ioc_side) == IocSide::kClient ? e.client : e.server;
    if (e.ip_version == 4) m = v.lookup_v4((uint32_t{addr[0]} << 24) | (uint32_t{addr[1]} << 16) |
                                           (uint32_t{addr[2]} << 8) | addr[3]);
    else m = v.lookup_v6(addr);
  }
  if (!m.hit()) return std::nullopt;
  std::optional<ResolvedIoc> r = resolve_in(v, *index, m.value);
  if (r) r->by_key = true;
  return r;
}

std::optional<ResolvedIoc> TableHistory::resolve_in(const table::IocTableView& v, const std::vector<uint32_t>& index,
                                                    uint32_t match) {
  const table::Match m{match};
  if (!m.hit() || m.record() >= v.record_count()) return std::nullopt;
  const table::MatchRecord& r = v.record(m.record());
  if (r.feed >= v.feed_count()) return std::nullopt;
  const table::FeedRecord& f = v.feed(r.feed);
  ResolvedIoc out;
  out.ioc = v.describe(m.record(), index);
  out.feed = v.string_at(f.name_off);
  out.advisory = v.string_at(f.advisory_off);
  out.group = v.string_at(f.group_off);
  out.action = table::action_name(m.action());
  out.line = r.line;
  auto listing = [&](uint32_t feed, uint32_t line) {
    if (feed >= v.feed_count()) return;
    const table::FeedRecord& fr = v.feed(feed);
    out.listings.push_back({v.string_at(fr.name_off), v.string_at(fr.advisory_off), v.string_at(fr.group_off),
                            table::action_name(static_cast<table::Action>(fr.action)), line,
                            (fr.flags & table::kFeedInfectedHosts) != 0});
  };
  listing(r.feed, r.line);
  for (auto [l, end] = v.more_listings(m.record()); l != end; ++l) listing(l->feed, l->line);
  return out;
}

TableHistory::Entries TableHistory::newest() const {
  std::lock_guard<std::mutex> lock(mu_);
  Entries e;
  if (tables_.empty()) return e;
  const table::Header& h = tables_.rbegin()->second.table->view().header();
  e.generation = tables_.rbegin()->first;
  e.ipv4 = h.v4_entries;
  e.ipv6 = h.v6_entries;
  e.domains = h.domain_entries;
  e.compiled_unix = h.compiled_unix;
  return e;
}

std::shared_ptr<const MappedTable> TableHistory::table_of(uint64_t generation) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tables_.find(generation);
  return it == tables_.end() ? nullptr : it->second.table;
}

TableHistory::Entries TableHistory::entries_of(uint64_t generation) const {
  std::lock_guard<std::mutex> lock(mu_);
  Entries e;
  auto it = tables_.find(generation);
  if (it == tables_.end()) return e;
  const table::Header& h = it->second.table->view().header();
  e.generation = generation;
  e.ipv4 = h.v4_entries;
  e.ipv6 = h.v6_entries;
  e.domains = h.domain_entries;
  e.compiled_unix = h.compiled_unix;
  return e;
}

}  // namespace iocgate

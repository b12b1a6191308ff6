// control/ioc_table_builder.cc — de-duplicates IoCs, merges covering actions, sizes the hash
// tables and filters, and lays everything out in one blob as ioc_table_format.h describes.

#include "control/ioc_table_builder.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string_view>

#include "table/table_hash.h"

namespace iocgate::table {

namespace {

// Load factors: linear probing stays short below ~0.85; misses rarely get here at all,
// because the filters in front of each table turn most of them away.
constexpr double kV4Load = 0.80;
constexpr double kV6Load = 0.85;
constexpr double kDomainLoad = 0.80;
constexpr uint32_t kFilterBitsPerKey = 32;  // ~3% false positives with one hash

uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

uint32_t capacity_for(uint64_t count, double load) {
  if (count == 0) return 0;
  return static_cast<uint32_t>(std::max<uint64_t>(count + 1, static_cast<uint64_t>(std::ceil(count / load))));
}

uint32_t filter_log2_for(uint64_t keys) {
  const uint64_t bits = std::max<uint64_t>(keys * kFilterBitsPerKey, 1u << 16);
  return std::min<uint32_t>(30, std::bit_width(bits - 1));
}

void set_bit(uint64_t* bits, uint64_t i) { bits[i >> 6] |= 1ULL << (i & 63); }

void set_bit_range(uint64_t* bits, uint64_t first, uint64_t count) {
  for (uint64_t i = first; i < first + count; ++i) set_bit(bits, i);
}

// One distinct key after de-duplication.
struct Group {
  size_t first;      // index of its first listing in the sorted entries
  uint32_t listings;
  Action action;     // strongest of its own listings, then of covering entries
};

class StringPool {
 public:
  StringPool() { bytes_.push_back('\0'); }  // offset 0 is the empty string
  uint32_t add(std::string_view s) {
    if (s.empty()) return 0;
    const uint32_t off = static_cast<uint32_t>(bytes_.size());
    bytes_.insert(bytes_.end(), s.begin(), s.end());
    bytes_.push_back('\0');
    return off;
  }
  const std::vector<char>& bytes() const { return bytes_; }

 private:
  std::vector<char> bytes_;
};

// The IPv4 direct index before it is placed in the blob. keys[k], lens[k] and values[k]
// describe distinct key k, with covering actions already merged into values, so filling
// shorter prefixes first and letting longer ones overwrite gives the longest match.
struct V4DirectIndex {
  std::vector<uint32_t> words;
  std::vector<V4Runs> runs;
  std::vector<uint32_t> blocks;
};

// Collects the runs of one split /24 in order of their first octet. Unused runs keep start
// 0xff and repeat the last value, so counting the starts <= an octet lands on its value.
class RunsBuilder {
 public:
  RunsBuilder() { std::memset(r_.start, 0xff, sizeof(r_.start)); }
  // False when the /24 has more runs than a group holds.
  bool add(uint32_t start, uint32_t value) {
    if (n_ == kV4RunsMax) return false;
    r_.start[n_] = n_ == 0 ? 0 : static_cast<uint8_t>(start);
    r_.value[n_++] = value;
    return true;
  }
  // The /24's word: its one value, or a reference to the group appended to d.
  uint32_t finish(V4DirectIndex& d) {
    if (n_ == 1) return r_.value[0];
    for (uint32_t k = n_; k < kV4RunsMax; ++k) r_.value[k] = r_.value[n_ - 1];
    d.runs.push_back(r_);
    return kV4DirectRuns | static_cast<uint32_t>(d.runs.size() - 1);
  }

 private:
  V4Runs r_;
  uint32_t n_ = 0;
};

// The word of one split /24 given expanded (cell[256]): a runs group, or a block past
// kV4RunsMax runs.
uint32_t add_split(V4DirectIndex& d, const uint32_t* cell) {
  RunsBuilder runs;
  runs.add(0, cell[0]);
  for (uint32_t o = 1; o < 256; ++o) {
    if (cell[o] == cell[o - 1] || runs.add(o, cell[o])) continue;
    d.blocks.insert(d.blocks.end(), cell, cell + 256);
    return kV4DirectBlock | static_cast<uint32_t>(d.blocks.size() / 256 - 1);
  }
  return runs.finish(d);
}

V4DirectIndex build_v4_direct(const std::vector<uint32_t>& keys, const std::vector<uint8_t>& lens,
                              const std::vector<uint32_t>& values) {
  V4DirectIndex d;
  d.words.assign(kV4DirectWords, kNoMatch);
  // Prefixes up to /24 fill their /24 words, shortest first (a counting sort by length).
  uint32_t at_len[34] = {};
  for (uint8_t len : lens) ++at_len[len + 1];
  for (int l = 1; l < 34; ++l) at_len[l] += at_len[l - 1];
  std::vector<uint32_t> order(keys.size());
  for (uint32_t k = 0; k < keys.size(); ++k) order[at_len[lens[k]]++] = k;
  std::vector<uint64_t> longer;  // (/24, length, key index) of entries that split a /24
  for (uint32_t k : order) {
    if (lens[k] > 24) {
      longer.push_back(uint64_t{keys[k] >> 8} << 40 | uint64_t{lens[k]} << 32 | k);
      continue;
    }
    std::fill_n(d.words.begin() + (keys[k] >> 8), uint64_t{1} << (24 - lens[k]), values[k]);
  }
  std::sort(longer.begin(), longer.end());
  uint32_t cell[256];
  for (size_t i = 0; i < longer.size();) {
    const uint32_t slash24 = static_cast<uint32_t>(longer[i] >> 40);
    const uint32_t base = d.words[slash24];
    size_t j = i;
    while (j < longer.size() && longer[j] >> 40 == slash24) ++j;
    if (j == i + 1) {
      // Most split /24s hold one scattered entry: its runs without expanding the /24.
      const uint32_t k = static_cast<uint32_t>(longer[i]);
      const uint32_t lo = keys[k] & 0xff, end = lo + (uint32_t{1} << (32 - lens[k]));
      RunsBuilder runs;
      if (lo != 0) runs.add(0, base);
      runs.add(lo, values[k]);
      if (end < 256) runs.add(end, base);
      d.words[slash24] = runs.finish(d);
    } else {
      std::fill_n(cell, 256, base);
      for (size_t m = i; m < j; ++m) {
        const uint32_t k = static_cast<uint32_t>(longer[m]);
        std::fill_n(cell + (keys[k] & 0xff), uint32_t{1} << (32 - lens[k]), values[k]);
      }
      d.words[slash24] = add_split(d, cell);
    }
    i = j;
  }
  return d;
}

}  // namespace

TableBlob::TableBlob(size_t size) : size_(size) {
  const size_t rounded = align_up(std::max<size_t>(size, 1), kBlobAlign);
  auto* p = static_cast<uint8_t*>(std::aligned_alloc(kBlobAlign, rounded));
  if (p == nullptr) throw std::bad_alloc();
  std::memset(p, 0, rounded);  // padding is checksummed: keep it deterministic
  data_.reset(p);
}

void TableBlob::Free::operator()(uint8_t* p) const { std::free(p); }

uint32_t IocTableBuilder::add_feed(const FeedMeta& meta) {
  feeds_.push_back(meta);
  feed_counts_.push_back(0);
  return static_cast<uint32_t>(feeds_.size() - 1);
}

void IocTableBuilder::add(uint32_t feed, const Ioc& ioc) {
  ++feed_counts_.at(feed);
  switch (ioc.kind) {
    case IocKind::kIpv4: {
      uint32_t a = (uint32_t{ioc.addr[0]} << 24) | (uint32_t{ioc.addr[1]} << 16) |
                   (uint32_t{ioc.addr[2]} << 8) | ioc.addr[3];
      const uint8_t len = std::min<uint8_t>(ioc.prefix_len, 32);
      if (len < 32) a = len == 0 ? 0 : a & (~0u << (32 - len));
      v4_.push_back({0, a, feed, ioc.line, len});
      break;
    }
    case IocKind::kIpv6: {
      uint64_t hi = 0, lo = 0;
      for (int i = 0; i < 8; ++i) hi = (hi << 8) | ioc.addr[i];
      for (int i = 8; i < 16; ++i) lo = (lo << 8) | ioc.addr[i];
      const uint8_t len = std::min<uint8_t>(ioc.prefix_len, 128);
      if (len == 0) {
        hi = lo = 0;
      } else if (len <= 64) {
        hi = len == 64 ? hi : hi & (~0ULL << (64 - len));
        lo = 0;
      } else if (len < 128) {
        lo &= ~0ULL << (128 - len);
      }
      v6_.push_back({hi, lo, feed, ioc.line, len});
      break;
    }
    case IocKind::kDomain:
      names_.push_back({ioc.domain, feed, ioc.line});
      break;
  }
}

Result<TableBlob> IocTableBuilder::build() const {
  auto strongest = [&](Action a, uint32_t feed) {
    return std::max(a, feeds_[feed].action);
  };

  // --- addresses: sort by (length, key, first listing), group, merge covering actions ---
  auto group_addrs = [&](std::vector<AddrEntry>& v, std::vector<Group>& groups) {
    // Within a key the listing that decides comes first: the strongest feed action, then
    // the first feed in compile order, then the first line.
    std::sort(v.begin(), v.end(), [&](const AddrEntry& a, const AddrEntry& b) {
      if (a.len != b.len) return a.len < b.len;
      if (a.hi != b.hi) return a.hi < b.hi;
      if (a.lo != b.lo) return a.lo < b.lo;
      if (feeds_[a.feed].action != feeds_[b.feed].action) return feeds_[a.feed].action > feeds_[b.feed].action;
      if (a.feed != b.feed) return a.feed < b.feed;
      return a.line < b.line;
    });
    for (size_t i = 0; i < v.size();) {
      Group g{i, 0, Action::kNone};
      size_t j = i;
      for (; j < v.size() && v[j].len == v[i].len && v[j].hi == v[i].hi && v[j].lo == v[i].lo; ++j)
        g.action = strongest(g.action, v[j].feed);
      g.listings = static_cast<uint32_t>(j - i);
      groups.push_back(g);
      i = j;
    }
  };
  // For each group, merge the actions of shorter prefixes that contain it. Groups of one
  // length are contiguous and sorted by key, so a binary search finds a covering prefix.
  auto merge_covering = [&](const std::vector<AddrEntry>& v, std::vector<Group>& groups,
                            uint32_t width) {
    std::vector<std::pair<size_t, size_t>> range(width + 1, {0, 0});
    for (size_t gi = 0; gi < groups.size();) {
      const uint8_t len = v[groups[gi].first].len;
      size_t gj = gi;
      while (gj < groups.size() && v[groups[gj].first].len == len) ++gj;
      range[len] = {gi, gj};
      gi = gj;
    }
    std::vector<Action> own(groups.size());
    for (size_t i = 0; i < groups.size(); ++i) own[i] = groups[i].action;
    for (Group& g : groups) {
      const AddrEntry& e = v[g.first];
      for (uint32_t len = 0; len < e.len; ++len) {
        auto [b, end] = range[len];
        if (b == end) continue;
        uint64_t hi = e.hi, lo = e.lo;
        if (width == 32) {
          lo = len == 0 ? 0 : lo & (~0ULL << (32 - len)) & 0xffffffffULL;
        } else if (len <= 64) {
          hi = len == 0 ? 0 : (len == 64 ? hi : hi & (~0ULL << (64 - len)));
          lo = 0;
        } else {
          lo &= ~0ULL << (128 - len);
        }
        auto it = std::lower_bound(groups.begin() + b, groups.begin() + end, 0,
                                   [&](const Group& x, int) {
                                     const AddrEntry& y = v[x.first];
                                     return y.hi < hi || (y.hi == hi && y.lo < lo);
                                   });
        if (it != groups.begin() + end && v[it->first].hi == hi && v[it->first].lo == lo)
          g.action = std::max(g.action, own[it - groups.begin()]);
      }
    }
  };

  std::vector<AddrEntry> v4 = v4_, v6 = v6_;
  std::vector<Group> g4, g6;
  group_addrs(v4, g4);
  group_addrs(v6, g6);
  merge_covering(v4, g4, 32);
  merge_covering(v6, g6, 128);

  // --- domains: group identical names, then merge actions of listed parent domains ---
  std::vector<const NameEntry*> names;
  names.reserve(names_.size());
  for (const NameEntry& n : names_) names.push_back(&n);
  std::sort(names.begin(), names.end(), [&](const NameEntry* a, const NameEntry* b) {
    if (a->name != b->name) return a->name < b->name;
    if (feeds_[a->feed].action != feeds_[b->feed].action) return feeds_[a->feed].action > feeds_[b->feed].action;
    if (a->feed != b->feed) return a->feed < b->feed;
    return a->line < b->line;
  });
  std::vector<Group> gd;
  for (size_t i = 0; i < names.size();) {
    Group g{i, 0, Action::kNone};
    size_t j = i;
    for (; j < names.size() && names[j]->name == names[i]->name; ++j)
      g.action = strongest(g.action, names[j]->feed);
    g.listings = static_cast<uint32_t>(j - i);
    gd.push_back(g);
    i = j;
  }
  {
    // Each listed name's own action, by name: open addressing over group numbers (names are
    // distinct here), two probes per label of a million names without a node allocated.
    size_t cap = 16;
    while (cap < gd.size() * 2) cap *= 2;
    const size_t mask = cap - 1;
    std::vector<uint32_t> slot(cap, UINT32_MAX);
    auto hash = [](std::string_view n) { return std::hash<std::string_view>{}(n); };
    for (size_t k = 0; k < gd.size(); ++k) {
      size_t at = hash(names[gd[k].first]->name) & mask;
      while (slot[at] != UINT32_MAX) at = (at + 1) & mask;
      slot[at] = static_cast<uint32_t>(k);
    }
    std::vector<Action> own(gd.size());
    for (size_t k = 0; k < gd.size(); ++k) own[k] = gd[k].action;
    for (Group& g : gd) {
      std::string_view n = names[g.first]->name;
      for (size_t dot = n.find('.'); dot != std::string_view::npos; dot = n.find('.', dot + 1)) {
        const std::string_view parent = n.substr(dot + 1);
        for (size_t at = hash(parent) & mask; slot[at] != UINT32_MAX; at = (at + 1) & mask) {
          if (names[gd[slot[at]].first]->name == parent) {
            g.action = std::max(g.action, own[slot[at]]);
            break;
          }
        }
      }
    }
  }

  for (const Group& g : gd) {
    if (names[g.first]->name.empty() || names[g.first]->name.size() > 253) {
      return Status::error("domain of " + std::to_string(names[g.first]->name.size()) +
               " bytes at line " + std::to_string(names[g.first]->line) + " (1 to 253 allowed)");
    }
  }
  const uint64_t record_count = g4.size() + g6.size() + gd.size();
  if (record_count > kMaxRecords) {
    return Status::error("too many distinct IoCs: " + std::to_string(record_count) + " (limit " +
             std::to_string(kMaxRecords) + ")");
  }

  // --- sizes and layout ---
  Header h{};
  h.magic = kMagic;
  h.layout_version = kLayoutVersion;
  h.header_size = sizeof(Header);
  h.compiled_unix = static_cast<int64_t>(std::time(nullptr));
  h.v4_entries = g4.size();
  h.v6_entries = g6.size();
  h.domain_entries = gd.size();

  uint64_t v4_count_by_len[33] = {};
  for (const Group& g : g4) ++v4_count_by_len[v4[g.first].len];
  uint64_t v6_count_by_len[129] = {};
  for (const Group& g : g6) ++v6_count_by_len[v6[g.first].len];

  uint64_t off = align_up(sizeof(Header), kBlobAlign);
  auto place = [&](uint64_t bytes) {
    const uint64_t at = off;
    off = align_up(off + bytes, kBlobAlign);
    return at;
  };
  if (!g4.empty()) {
    h.v4_touched = {place(kV4FilterBits / 8), kV4FilterBits / 8};
    h.v4_prefixed = {place(kV4FilterBits / 8), kV4FilterBits / 8};
  }
  for (int len = 32; len >= 0; --len) {
    const uint32_t cap = capacity_for(v4_count_by_len[len], kV4Load);
    if (cap == 0) continue;
    h.v4_by_len[len] = {place(uint64_t{cap} * sizeof(V4Slot)), cap,
                        static_cast<uint32_t>(v4_count_by_len[len])};
    if (len < 32) h.v4_prefix_lens[h.v4_prefix_len_count++] = static_cast<uint8_t>(len);
  }
  h.v6_filter_log2 = filter_log2_for(g6.size());
  if (!g6.empty()) h.v6_filter = {place((1ULL << h.v6_filter_log2) / 8), (1ULL << h.v6_filter_log2) / 8};
  for (int len = 128; len >= 0; --len) {
    const uint32_t cap = capacity_for(v6_count_by_len[len], kV6Load);
    if (cap == 0) continue;
    h.v6_by_len[len] = {place(uint64_t{cap} * sizeof(V6Slot)), cap,
                        static_cast<uint32_t>(v6_count_by_len[len])};
    h.v6_lens[h.v6_len_count++] = static_cast<uint8_t>(len);
  }
  h.domain_filter_log2 = filter_log2_for(gd.size());
  if (!gd.empty()) {
    h.domain_filter = {place((1ULL << h.domain_filter_log2) / 8), (1ULL << h.domain_filter_log2) / 8};
    const uint32_t cap = capacity_for(gd.size(), kDomainLoad);
    h.domains = {place(uint64_t{cap} * sizeof(DomainSlot)), cap, static_cast<uint32_t>(gd.size())};
  }
  h.records = {place(record_count * sizeof(MatchRecord)), record_count * sizeof(MatchRecord)};
  uint64_t extra_listings = 0;
  for (const auto* groups : {&g4, &g6, &gd})
    for (const Group& g : *groups) extra_listings += g.listings - 1;
  h.listings = {place(extra_listings * sizeof(Listing)), extra_listings * sizeof(Listing)};
  h.feed_count = feeds_.size();
  h.feeds = {place(feeds_.size() * sizeof(FeedRecord)), feeds_.size() * sizeof(FeedRecord)};

  StringPool pool;
  std::vector<FeedRecord> feed_records(feeds_.size());
  for (size_t i = 0; i < feeds_.size(); ++i) {
    feed_records[i].name_off = pool.add(feeds_[i].name);
    feed_records[i].advisory_off = pool.add(feeds_[i].advisory);
    feed_records[i].group_off = pool.add(feeds_[i].group);
    feed_records[i].action = static_cast<uint8_t>(feeds_[i].action);
    feed_records[i].flags = feeds_[i].infected_hosts ? kFeedInfectedHosts : 0;
    feed_records[i].ioc_count = feed_counts_[i];
  }
  std::vector<uint32_t> name_offs(gd.size());
  for (size_t i = 0; i < gd.size(); ++i) name_offs[i] = pool.add(names[gd[i].first]->name);
  h.strings = {place(pool.bytes().size()), pool.bytes().size()};

  // Distinct IPv4 key k becomes record k (records are filled IPv4 first, below).
  V4DirectIndex direct;
  if (!g4.empty() && (v4_direct_ == V4Direct::kAlways ||
                      (v4_direct_ == V4Direct::kAuto && g4.size() >= kV4DirectMinEntries &&
                       h.v4_prefix_len_count >= kV4DirectMinLengths))) {
    std::vector<uint32_t> keys(g4.size()), values(g4.size());
    std::vector<uint8_t> lens(g4.size());
    for (size_t k = 0; k < g4.size(); ++k) {
      const AddrEntry& e = v4[g4[k].first];
      keys[k] = static_cast<uint32_t>(e.lo);
      lens[k] = e.len;
      values[k] = pack_value(g4[k].action, static_cast<uint32_t>(k));
    }
    direct = build_v4_direct(keys, lens, values);
    h.v4_direct = {place(direct.words.size() * 4), direct.words.size() * 4};
    h.v4_runs = {place(direct.runs.size() * sizeof(V4Runs)), direct.runs.size() * sizeof(V4Runs)};
    h.v4_blocks = {place(direct.blocks.size() * 4), direct.blocks.size() * 4};
  }
  h.total_size = off;

  TableBlob blob(h.total_size);
  uint8_t* base = blob.data();
  auto at = [&](const auto& section_offset) { return base + section_offset; };

  // Empty slots are all-ones: value == kNoMatch.
  for (const HashDesc& d : h.v4_by_len)
    if (d.capacity) std::memset(at(d.offset), 0xff, uint64_t{d.capacity} * sizeof(V4Slot));
  for (const HashDesc& d : h.v6_by_len)
    if (d.capacity) std::memset(at(d.offset), 0xff, uint64_t{d.capacity} * sizeof(V6Slot));
  if (h.domains.capacity)
    std::memset(at(h.domains.offset), 0xff, uint64_t{h.domains.capacity} * sizeof(DomainSlot));

  auto* records = reinterpret_cast<MatchRecord*>(at(h.records.offset));
  auto* listings = reinterpret_cast<Listing*>(at(h.listings.offset));
  uint32_t rec = 0;
  uint64_t listing = 0;
  // Records are filled in order, so the listings come out sorted by record.
  auto fill_record = [&](uint32_t feed, uint32_t line, uint8_t kind, uint8_t len, const Group& g,
                         auto listing_of) {
    MatchRecord& r = records[rec];
    r.feed = feed;
    r.line = line;
    r.kind = kind;
    r.prefix_len = len;
    r.listings = static_cast<uint8_t>(std::min<uint32_t>(g.listings, 255));
    for (uint32_t k = 1; k < g.listings; ++k) {
      const auto [f, l] = listing_of(g.first + k);
      listings[listing++] = {rec, f, l};
    }
    return rec++;
  };
  auto v4_listing = [&](size_t i) { return std::pair<uint32_t, uint32_t>{v4[i].feed, v4[i].line}; };
  auto v6_listing = [&](size_t i) { return std::pair<uint32_t, uint32_t>{v6[i].feed, v6[i].line}; };
  auto name_listing = [&](size_t i) { return std::pair<uint32_t, uint32_t>{names[i]->feed, names[i]->line}; };

  auto* touched = reinterpret_cast<uint64_t*>(at(h.v4_touched.offset));
  auto* prefixed = reinterpret_cast<uint64_t*>(at(h.v4_prefixed.offset));
  for (const Group& g : g4) {
    const AddrEntry& e = v4[g.first];
    const uint32_t key = static_cast<uint32_t>(e.lo);
    const uint32_t r = fill_record(e.feed, e.line, 0, e.len, g, v4_listing);
    const HashDesc& d = h.v4_by_len[e.len];
    auto* slots = reinterpret_cast<V4Slot*>(at(d.offset));
    uint32_t i = reduce(static_cast<uint32_t>(hash_v4(key, e.len)), d.capacity);
    while (slots[i].value != kNoMatch) i = i + 1 == d.capacity ? 0 : i + 1;
    slots[i] = {key, pack_value(g.action, r)};
    const uint64_t span = e.len >= 24 ? 1 : 1ULL << (24 - e.len);
    set_bit_range(touched, key >> 8, span);
    if (e.len < 32) set_bit_range(prefixed, key >> 8, span);
  }

  auto* v6_filter = reinterpret_cast<uint64_t*>(at(h.v6_filter.offset));
  for (const Group& g : g6) {
    const AddrEntry& e = v6[g.first];
    const uint32_t r = fill_record(e.feed, e.line, 1, e.len, g, v6_listing);
    const HashDesc& d = h.v6_by_len[e.len];
    auto* slots = reinterpret_cast<V6Slot*>(at(d.offset));
    const uint64_t hv = hash_v6(e.hi, e.lo, e.len);
    set_bit(v6_filter, hv >> (64 - h.v6_filter_log2));
    uint32_t i = reduce(static_cast<uint32_t>(hv), d.capacity);
    while (slots[i].value != kNoMatch) i = i + 1 == d.capacity ? 0 : i + 1;
    slots[i] = {e.hi, e.lo, pack_value(g.action, r), 0};
  }

  auto* domain_filter = reinterpret_cast<uint64_t*>(at(h.domain_filter.offset));
  auto* domain_slots = reinterpret_cast<DomainSlot*>(at(h.domains.offset));
  // Hashed first, so the loop below can prefetch the slot and filter word of a name a few
  // ahead: a million names land at random in tables far larger than the cache.
  std::vector<uint64_t> name_hash(gd.size());
  for (size_t k = 0; k < gd.size(); ++k) {
    const NameEntry& e = *names[gd[k].first];
    name_hash[k] = hash_domain(e.name.data(), e.name.size());
  }
  constexpr size_t kAhead = 16;
  for (size_t k = 0; k < gd.size(); ++k) {
    if (k + kAhead < gd.size()) {
      const uint64_t ahead = name_hash[k + kAhead];
      __builtin_prefetch(&domain_slots[reduce(static_cast<uint32_t>(ahead), h.domains.capacity)], 1);
      __builtin_prefetch(&domain_filter[(ahead >> (64 - h.domain_filter_log2)) / 64], 1);
    }
    const Group& g = gd[k];
    const NameEntry& e = *names[g.first];
    const uint32_t r = fill_record(e.feed, e.line, 2, 0, g, name_listing);
    records[r].name_off = name_offs[k];
    records[r].name_len = static_cast<uint8_t>(e.name.size());
    const uint64_t hv = name_hash[k];
    set_bit(domain_filter, hv >> (64 - h.domain_filter_log2));
    auto* slots = domain_slots;
    uint32_t i = reduce(static_cast<uint32_t>(hv), h.domains.capacity);
    while (slots[i].value != kNoMatch) i = i + 1 == h.domains.capacity ? 0 : i + 1;
    slots[i] = {static_cast<uint32_t>(hv >> 32), pack_value(g.action, r)};
  }

  if (!feed_records.empty())  // an empty vector's data() may be null, which memcpy forbids
    std::memcpy(at(h.feeds.offset), feed_records.data(), feed_records.size() * sizeof(FeedRecord));
  std::memcpy(at(h.strings.offset), pool.bytes().data(), pool.bytes().size());
  if (!direct.words.empty()) {
    std::memcpy(at(h.v4_direct.offset), direct.words.data(), h.v4_direct.size);
    if (!direct.runs.empty()) std::memcpy(at(h.v4_runs.offset), direct.runs.data(), h.v4_runs.size);
    if (!direct.blocks.empty()) std::memcpy(at(h.v4_blocks.offset), direct.blocks.data(), h.v4_blocks.size);
  }
  h.content_checksum = content_checksum(base, h.total_size);
  stamp_identity(h, "", 0);
  std::memcpy(base, &h, sizeof(h));
  return blob;
}

}  // namespace iocgate::table

// table/ioc_table_view.cc — validation of a table blob before workers may read it, and the
// human-readable form of a match for reports. Neither runs per packet.

#include "table/ioc_table_view.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>

namespace iocgate::table {

namespace {

bool section_ok(const Section& s, uint64_t total, uint64_t header_size) {
  return s.size == 0 || (s.offset >= header_size && s.offset <= total && s.size <= total - s.offset);
}

bool hash_ok(const HashDesc& d, size_t slot_size, uint64_t total, uint64_t header_size) {
  if (d.capacity == 0) return d.count == 0;
  return d.count < d.capacity && section_ok({d.offset, uint64_t{d.capacity} * slot_size}, total, header_size) &&
         d.offset % 8 == 0;
}

}  // namespace

bool IocTableView::attach(const void* blob, size_t size, std::string* error, bool verify_checksum) {
  base_ = nullptr;
  v4_touched_ = v4_prefixed_ = v6_filter_ = domain_filter_ = nullptr;
  v4_direct_ = v4_blocks_ = nullptr;
  v4_runs_ = nullptr;
  v4_run_count_ = v4_block_count_ = 0;
  auto fail = [&](const std::string& why) {
    if (error != nullptr) *error = why;
    return false;
  };
  if (blob == nullptr || size < sizeof(Header)) return fail("table is smaller than its header");
  const auto* p = static_cast<const uint8_t*>(blob);
  Header h;
  std::memcpy(&h, p, sizeof(h));
  if (h.magic != kMagic) return fail("not an iocgate table (bad magic)");
  if (h.layout_version != kLayoutVersion)
    return fail("table layout version " + std::to_string(h.layout_version) + ", this build reads " +
                std::to_string(kLayoutVersion));
  if (h.header_size != sizeof(Header)) return fail("table header size mismatch");
  if (h.total_size != size) return fail("table size " + std::to_string(size) + " but header says " +
                                        std::to_string(h.total_size));
  const uint64_t hs = h.header_size;
  const uint64_t t = h.total_size;
  if (header_checksum(h) != h.header_checksum)
    return fail("table header checksum mismatch: the header is damaged, or its identity (instance, generation) "
                "was changed after it was sealed");
  if (std::memchr(h.instance, '\0', sizeof(h.instance)) == nullptr) return fail("table instance name malformed");
  const Section sections[] = {h.v4_touched, h.v4_prefixed, h.v6_filter, h.domain_filter,
                              h.records, h.listings, h.feeds, h.strings,
                              h.v4_direct, h.v4_runs, h.v4_blocks};
  for (const Section& s : sections)
    if (!section_ok(s, t, hs) || s.offset % 8 != 0) return fail("table section out of bounds");
  if ((h.v4_entries != 0) != (h.v4_touched.size == kV4FilterBits / 8) ||
      (h.v4_entries != 0) != (h.v4_prefixed.size == kV4FilterBits / 8))
    return fail("table IPv4 filter malformed");
  if ((h.v4_direct.size != 0 && (h.v4_entries == 0 || h.v4_direct.size != uint64_t{kV4DirectWords} * 4)) ||
      h.v4_runs.size % sizeof(V4Runs) != 0 || h.v4_blocks.size % (256 * 4) != 0 ||
      h.v4_runs.size / sizeof(V4Runs) >= kRecordMask || h.v4_blocks.size / (256 * 4) >= kRecordMask ||
      (h.v4_direct.size == 0 && (h.v4_runs.size != 0 || h.v4_blocks.size != 0)))
    return fail("table IPv4 direct index malformed");
  // The filters exist only with entries, and the lookups read them whenever a length or
  // the name table is present: a table with either and no entries is malformed.
  if ((h.v6_len_count != 0 && h.v6_entries == 0) || (h.domains.capacity != 0 && h.domain_entries == 0))
    return fail("table filter missing for its entries");
  if (h.v6_filter_log2 < 6 || h.v6_filter_log2 > 30 || h.domain_filter_log2 < 6 || h.domain_filter_log2 > 30)
    return fail("table filter size malformed");
  if (h.v6_entries != 0 && h.v6_filter.size != (1ULL << h.v6_filter_log2) / 8)
    return fail("table IPv6 filter malformed");
  if (h.domain_entries != 0 && h.domain_filter.size != (1ULL << h.domain_filter_log2) / 8)
    return fail("table domain filter malformed");
  for (const HashDesc& d : h.v4_by_len)
    if (!hash_ok(d, sizeof(V4Slot), t, hs)) return fail("table IPv4 hash out of bounds");
  for (const HashDesc& d : h.v6_by_len)
    if (!hash_ok(d, sizeof(V6Slot), t, hs)) return fail("table IPv6 hash out of bounds");
  if (!hash_ok(h.domains, sizeof(DomainSlot), t, hs)) return fail("table domain hash out of bounds");
  if (h.v4_prefix_len_count > 32 || h.v6_len_count > 129) return fail("table length lists malformed");
  for (uint32_t i = 0; i < h.v4_prefix_len_count; ++i)
    if (h.v4_prefix_lens[i] >= 32 || h.v4_by_len[h.v4_prefix_lens[i]].capacity == 0)
      return fail("table IPv4 length list malformed");
  for (uint32_t i = 0; i < h.v6_len_count; ++i)
    if (h.v6_lens[i] > 128 || h.v6_by_len[h.v6_lens[i]].capacity == 0)
      return fail("table IPv6 length list malformed");
  if (h.records.size % sizeof(MatchRecord) != 0 || h.listings.size % sizeof(Listing) != 0 ||
      h.feeds.size != h.feed_count * sizeof(FeedRecord))
    return fail("table record sections malformed");
  if (h.strings.size == 0 || p[h.strings.offset + h.strings.size - 1] != '\0')
    return fail("table string pool malformed");
  if (verify_checksum && content_checksum(p, size) != h.content_checksum)
    return fail("table content checksum mismatch: the file is torn or corrupted");
  // Record indexes inside slot values and string offsets inside records are trusted from
  // here on: the checksum ties them to the compiler that wrote them.
  base_ = p;
  size_ = size;
  if (h.v4_entries != 0) {
    v4_touched_ = reinterpret_cast<const uint64_t*>(p + h.v4_touched.offset);
    v4_prefixed_ = reinterpret_cast<const uint64_t*>(p + h.v4_prefixed.offset);
  }
  if (h.v4_direct.size != 0) {
    v4_direct_ = reinterpret_cast<const uint32_t*>(p + h.v4_direct.offset);
    v4_runs_ = reinterpret_cast<const V4Runs*>(p + h.v4_runs.offset);
    v4_blocks_ = reinterpret_cast<const uint32_t*>(p + h.v4_blocks.offset);
    v4_run_count_ = static_cast<uint32_t>(h.v4_runs.size / sizeof(V4Runs));
    v4_block_count_ = static_cast<uint32_t>(h.v4_blocks.size / (256 * 4));
  }
  if (h.v6_entries != 0) v6_filter_ = reinterpret_cast<const uint64_t*>(p + h.v6_filter.offset);
  if (h.domain_entries != 0) domain_filter_ = reinterpret_cast<const uint64_t*>(p + h.domain_filter.offset);
  return true;
}

namespace {
constexpr uint32_t kNoSlot = 0xffffffffu;
}  // namespace

std::pair<const Listing*, const Listing*> IocTableView::more_listings(uint32_t rec) const {
  if (base_ == nullptr) return {nullptr, nullptr};
  const auto* first = reinterpret_cast<const Listing*>(base_ + header().listings.offset);
  const auto* last = first + header().listings.size / sizeof(Listing);
  const auto* lo = std::lower_bound(first, last, rec, [](const Listing& l, uint32_t r) { return l.record < r; });
  const auto* hi = std::upper_bound(lo, last, rec, [](uint32_t r, const Listing& l) { return r < l.record; });
  return {lo, hi};
}

std::string IocTableView::describe(uint32_t rec) const {
  if (base_ == nullptr || rec >= record_count()) return "?";
  const MatchRecord& r = record(rec);
  if (r.kind == 2) return std::string(string_at(r.name_off), r.name_len);
  // The key is not in the record: find the slot that points at it.
  const HashDesc& d = r.kind == 0 ? header().v4_by_len[r.prefix_len] : header().v6_by_len[r.prefix_len];
  for (uint32_t i = 0; i < d.capacity; ++i) {
    const uint32_t v = r.kind == 0 ? reinterpret_cast<const V4Slot*>(base_ + d.offset)[i].value
                                   : reinterpret_cast<const V6Slot*>(base_ + d.offset)[i].value;
    if (v != kNoMatch && (v & kRecordMask) == rec) {
      std::vector<uint32_t> one(rec + 1, kNoSlot);
      one[rec] = i;
      return describe(rec, one);
    }
  }
  return "?";
}

std::vector<uint32_t> IocTableView::build_describe_index() const {
  std::vector<uint32_t> index(base_ == nullptr ? 0 : record_count(), kNoSlot);
  if (base_ == nullptr) return index;
  const Header& h = header();
  for (const HashDesc& d : h.v4_by_len) {
    const auto* slots = reinterpret_cast<const V4Slot*>(base_ + d.offset);
    for (uint32_t i = 0; i < d.capacity; ++i)
      if (slots[i].value != kNoMatch && (slots[i].value & kRecordMask) < index.size())
        index[slots[i].value & kRecordMask] = i;
  }
  for (const HashDesc& d : h.v6_by_len) {
    const auto* slots = reinterpret_cast<const V6Slot*>(base_ + d.offset);
    for (uint32_t i = 0; i < d.capacity; ++i)
      if (slots[i].value != kNoMatch && (slots[i].value & kRecordMask) < index.size())
        index[slots[i].value & kRecordMask] = i;
  }
  return index;
}

std::string IocTableView::describe(uint32_t rec, const std::vector<uint32_t>& index) const {
  if (base_ == nullptr || rec >= record_count()) return "?";
  const MatchRecord& r = record(rec);
  if (r.kind == 2) return std::string(string_at(r.name_off), r.name_len);
  if (rec >= index.size() || index[rec] == kNoSlot) return "?";
  char buf[INET6_ADDRSTRLEN + 8];
  std::string s;
  if (r.kind == 0) {
    const HashDesc& d = header().v4_by_len[r.prefix_len];
    const uint32_t a = htonl(reinterpret_cast<const V4Slot*>(base_ + d.offset)[index[rec]].key);
    inet_ntop(AF_INET, &a, buf, sizeof(buf));
    s = buf;
    if (r.prefix_len != 32) s += "/" + std::to_string(r.prefix_len);
  } else {
    const HashDesc& d = header().v6_by_len[r.prefix_len];
    const V6Slot& slot = reinterpret_cast<const V6Slot*>(base_ + d.offset)[index[rec]];
    uint8_t a[16];
    const uint64_t hi = __builtin_bswap64(slot.hi), lo = __builtin_bswap64(slot.lo);
    std::memcpy(a, &hi, 8);
    std::memcpy(a + 8, &lo, 8);
    inet_ntop(AF_INET6, a, buf, sizeof(buf));
    s = buf;
    if (r.prefix_len != 128) s += "/" + std::to_string(r.prefix_len);
  }
  return s;
}

}  // namespace iocgate::table

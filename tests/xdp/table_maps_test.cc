// tests/xdp/table_maps_test.cc — the ruleset image as xdp/table_maps writes it (no kernel
// needed): header words, the table's sections copied byte for byte, every domain slot
// pointing at its own name in the pool (zero-padded), sizes per kind, and tables the image
// cannot hold refused with a reason. The program's lookups over it: xdp_program_test.

#include "xdp/table_maps.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <set>

#include "tests/xdp/xdp_test_support.h"
#include "xdp/xdp_abi.h"

namespace iocgate::test {
namespace {

using table::Action;

struct Image {
  table::TableBlob blob;
  table::IocTableView view;
  xdp::RulesetLayout layout;
  std::vector<uint64_t> words;

  explicit Image(const TableSpec& spec, uint64_t generation = 5) : blob(spec.build()) {
    std::string err;
    EXPECT_TRUE(view.attach(blob.data(), blob.size(), &err)) << err;
    auto l = xdp::plan_ruleset(view);
    EXPECT_TRUE(l.ok()) << l.message();
    layout = *l;
    words.assign(layout.total_words, 0);
    xdp::write_ruleset(view, layout, generation, words.data());
  }
  const table::Header& h() const { return view.header(); }
  bool same_bytes(uint64_t word, const table::Section& s) const {
    return std::memcmp(words.data() + word, blob.data() + s.offset, s.size) == 0;
  }
};

TableSpec mixed_spec(uint64_t seed, int n) {
  std::mt19937_64 r(seed);
  TableSpec s;
  const Action acts[] = {Action::kAlert, Action::kMirror, Action::kDrop, Action::kReject, Action::kAllow};
  for (int i = 0; i < n; ++i) {
    s.v4(acts[r() % 5], v4_bytes(static_cast<uint32_t>(r())), static_cast<uint8_t>(i % 3 == 0 ? 8 + r() % 25 : 32));
    std::array<uint8_t, 16> a;
    for (auto& b : a) b = static_cast<uint8_t>(r());
    s.v6(acts[r() % 5], a, static_cast<uint8_t>(i % 3 == 0 ? 20 + r() % 109 : 128));
    std::string d;
    for (size_t k = 1 + r() % 30; k > 0; --k) d += static_cast<char>('a' + r() % 26);
    s.domain(acts[r() % 5], d + (i % 2 ? ".example" : ".co.uk"));
  }
  return s;
}

TEST(RulesetImage, HeaderCarriesMagicGenerationAndWhereEachPartLies) {
  const Image img(mixed_spec(1, 500), 42);
  const auto& w = img.words;
  EXPECT_EQ(w[RS_MAGIC], IOCGATE_RS_MAGIC);
  EXPECT_EQ(w[RS_GENERATION], 42u);
  EXPECT_EQ(w[RS_V4_TOUCHED], img.layout.v4_touched);
  EXPECT_EQ(w[RS_V4_PREFIXED], img.layout.v4_prefixed);
  EXPECT_EQ(w[RS_V4_LEN_COUNT], img.h().v4_prefix_len_count);
  for (uint32_t i = 0; i < img.h().v4_prefix_len_count; ++i)
    EXPECT_EQ((w[RS_V4_LENS + i / 8] >> (8 * (i % 8))) & 0xff, img.h().v4_prefix_lens[i]) << i;
  EXPECT_EQ(w[RS_V6_LEN_COUNT], img.h().v6_len_count);
  for (uint32_t i = 0; i < img.h().v6_len_count; ++i)
    EXPECT_EQ((w[RS_V6_LENS + i / 8] >> (8 * (i % 8))) & 0xff, img.h().v6_lens[i]) << i;
  EXPECT_EQ(w[RS_V6_FILTER_LOG2], img.h().v6_filter_log2);
  EXPECT_EQ(w[RS_DN_FILTER_LOG2], img.h().domain_filter_log2);
  for (uint32_t len = 0; len <= 32; ++len) {
    const uint64_t d = w[RS_V4_TABLE + len];
    EXPECT_EQ(d >> 32, img.h().v4_by_len[len].capacity) << "/" << len;
    if (d >> 32) EXPECT_EQ(static_cast<uint32_t>(d), img.layout.v4_table[len]);
  }
  for (uint32_t len = 0; len <= 128; ++len) EXPECT_EQ(w[RS_V6_TABLE + len] >> 32, img.h().v6_by_len[len].capacity);
  EXPECT_EQ(w[RS_DN_TABLE] >> 32, img.h().domains.capacity);
  // Every part starts on a cache line, inside the image, none overlapping the header.
  for (uint64_t at : {uint64_t{img.layout.v4_touched}, uint64_t{img.layout.v6_filter}, uint64_t{img.layout.dn_filter},
                      uint64_t{img.layout.dn_table}, uint64_t{img.layout.dn_pool}}) {
    EXPECT_GE(at, uint64_t{RS_HEADER_WORDS});
    EXPECT_EQ(at % 8, 0u);
    EXPECT_LT(at, img.layout.total_words);
  }
}

TEST(RulesetImage, AddressSectionsAreTheTablesOwnBytes) {
  const Image img(mixed_spec(2, 2000));
  const table::Header& h = img.h();
  EXPECT_TRUE(img.same_bytes(img.layout.v4_touched, h.v4_touched));
  EXPECT_TRUE(img.same_bytes(img.layout.v4_prefixed, h.v4_prefixed));
  EXPECT_TRUE(img.same_bytes(img.layout.v6_filter, h.v6_filter));
  EXPECT_TRUE(img.same_bytes(img.layout.dn_filter, h.domain_filter));
  for (uint32_t len = 0; len <= 32; ++len)
    if (h.v4_by_len[len].capacity != 0)
      EXPECT_TRUE(img.same_bytes(img.layout.v4_table[len],
                                 {h.v4_by_len[len].offset, uint64_t{h.v4_by_len[len].capacity} * sizeof(table::V4Slot)}))
          << "/" << len;
  for (uint32_t len = 0; len <= 128; ++len)
    if (h.v6_by_len[len].capacity != 0)
      EXPECT_TRUE(img.same_bytes(img.layout.v6_table[len],
                                 {h.v6_by_len[len].offset, uint64_t{h.v6_by_len[len].capacity} * sizeof(table::V6Slot)}))
          << "/" << len;
}

TEST(RulesetImage, EveryDomainSlotPointsAtItsOwnNameZeroPadded) {
  const Image img(mixed_spec(3, 3000));
  const table::Header& h = img.h();
  const auto* slots = reinterpret_cast<const table::DomainSlot*>(img.blob.data() + h.domains.offset);
  std::set<uint64_t> pool_words_used;
  uint64_t occupied = 0;
  for (uint32_t i = 0; i < h.domains.capacity; ++i) {
    const uint64_t w0 = img.words[img.layout.dn_table + 2 * uint64_t{i}];
    const uint64_t w1 = img.words[img.layout.dn_table + 2 * uint64_t{i} + 1];
    ASSERT_EQ(static_cast<uint32_t>(w0), slots[i].tag);
    ASSERT_EQ(static_cast<uint32_t>(w0 >> 32), slots[i].value);
    if (slots[i].value == table::kNoMatch) {
      EXPECT_EQ(w1, 0u);
      continue;
    }
    ++occupied;
    const table::MatchRecord& r = img.view.record(slots[i].value & table::kRecordMask);
    const uint32_t off = static_cast<uint32_t>(w1), len = static_cast<uint32_t>(w1 >> 32);
    ASSERT_EQ(len, r.name_len);
    ASSERT_GE(off, img.layout.dn_pool);
    const char* name = reinterpret_cast<const char*>(img.words.data() + off);
    EXPECT_EQ(std::string(name, len), std::string(img.view.string_at(r.name_off), r.name_len));
    for (uint32_t k = len; k % 8 != 0; ++k) EXPECT_EQ(name[k], '\0') << "padding of " << std::string(name, len);
    for (uint32_t k = 0; k < (len + 7) / 8; ++k) EXPECT_TRUE(pool_words_used.insert(off + k).second) << "names overlap";
  }
  EXPECT_EQ(occupied, h.domain_entries);
  EXPECT_LE(img.layout.dn_pool + pool_words_used.size(), img.layout.total_words);
}

TEST(RulesetImage, SizesPerKindAndAnImageOfOnlyWhatTheTableHolds) {
  TableSpec only_v4;
  only_v4.v4(Action::kDrop, {203, 0, 113, 66}, 32);
  const Image a(only_v4);
  EXPECT_GT(a.layout.v4_words, 2u * (1u << 18)) << "two /24 bitmaps of 2 MiB";
  EXPECT_EQ(a.layout.v6_words, 0u);
  EXPECT_EQ(a.layout.domain_words, 0u);
  EXPECT_EQ(a.words[RS_V6_LEN_COUNT], 0u);
  EXPECT_EQ(a.words[RS_DN_FILTER], 0u);

  TableSpec only_names;
  only_names.domain(Action::kDrop, "evil.example");
  const Image b(only_names);
  EXPECT_EQ(b.words[RS_V4_TOUCHED], 0u) << "no IPv4 entries: the program stops at the first word";
  EXPECT_EQ(b.layout.v4_words, 0u);
  EXPECT_GT(b.layout.domain_words, 0u);
  EXPECT_LT(b.layout.total_words * 8, 64u << 10);

  // Per IoC at scale: the table's own slots, ~10 B an IPv4 host, ~30 B an IPv6 one.
  TableSpec many;
  std::mt19937_64 r(4);
  for (int i = 0; i < 200000; ++i) many.v4(Action::kDrop, v4_bytes(static_cast<uint32_t>(r())), 32);
  const Image c(many);
  const double per = static_cast<double>(c.layout.v4_words * 8 - 2 * (1u << 21)) / 200000;
  EXPECT_LT(per, 12.0);
  EXPECT_GT(per, 8.0);
}

TEST(RulesetImage, ADomainSlotNamingARecordOutsideTheTableIsRefused) {
  TableSpec s;
  s.domain(Action::kDrop, "evil.example");
  table::TableBlob blob = s.build();
  table::IocTableView view;
  std::string err;
  ASSERT_TRUE(view.attach(blob.data(), blob.size(), &err)) << err;
  const table::Header& h = view.header();
  auto* slots = reinterpret_cast<table::DomainSlot*>(blob.data() + h.domains.offset);
  for (uint32_t i = 0; i < h.domains.capacity; ++i)
    if (slots[i].value != table::kNoMatch) slots[i].value = table::pack_value(Action::kDrop, 999999);
  // Attached without the checksum (a validated table never looks like this): the converter
  // still refuses to follow the slot.
  ASSERT_TRUE(view.attach(blob.data(), blob.size(), &err, false)) << err;
  auto l = xdp::plan_ruleset(view);
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.message().find("record 999999"), std::string::npos) << l.message();
  EXPECT_FALSE(xdp::plan_ruleset(table::IocTableView()).ok());
}

}  // namespace
}  // namespace iocgate::test

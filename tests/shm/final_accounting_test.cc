// tests/shm/final_accounting_test.cc — the workers' part of the clean-stop accounting line:
// valid JSON with every counter by name, the packets judged (folded total plus the recent
// tallies) and the recent generations; names quoted whatever bytes they hold.

#include "shm/final_accounting.h"

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>

namespace iocgate {
namespace {

TEST(FinalAccounting, AWorkerSaysWhatItCountedAndWhatEachGenerationJudged) {
  auto cb = std::make_unique<ControlBlock>();
  WorkerSlot& w = cb->workers[0];
  w.counters.rx_packets = 130;
  w.counters.dropped_packets = 7;
  w.tally_folded.store(100);  // judged under generations too old to be listed
  // Ten switches: the last kGenerationTally slots hold generations 3..10, the newest first.
  w.switches.store(10);
  for (uint64_t k = 0; k < kGenerationTally; ++k) {
    GenerationTally& t = w.tally[(10 - k) % kGenerationTally];
    t.generation.store(10 - k);
    t.packets.store(k == 0 ? 20 : k == 1 ? 5 : 0);  // generation 10 judged 20, 9 judged 5
  }
  const auto j = nlohmann::json::parse(worker_accounting_json(w, 3));
  EXPECT_EQ(j["worker"], 3);
  EXPECT_EQ(j["switches"], 10);
  EXPECT_EQ(j["judged"], 125);
  EXPECT_EQ(j["counters"]["rx_packets"], 130);
  EXPECT_EQ(j["counters"]["dropped_packets"], 7);
  EXPECT_EQ(j["counters"].size(), kDataplaneCounterCount);
  EXPECT_EQ(j["recent_generations"].size(), kGenerationTally);
  EXPECT_EQ(j["recent_generations"]["10"], 20);
  EXPECT_EQ(j["recent_generations"]["9"], 5);
  EXPECT_EQ(j["recent_generations"]["3"], 0);
}

TEST(FinalAccounting, AFreshWorkerListsOnlyTheGenerationItStartedWith) {
  auto cb = std::make_unique<ControlBlock>();
  const auto j = nlohmann::json::parse(worker_accounting_json(cb->workers[1], 1));
  EXPECT_EQ(j["judged"], 0);
  EXPECT_EQ(j["recent_generations"].size(), 1u);
  EXPECT_EQ(j["recent_generations"]["0"], 0);
}

TEST(FinalAccounting, NamesAreQuotedWhateverTheyHold) {
  EXPECT_EQ(json_quoted("net_af_xdp0,iface=x"), "\"net_af_xdp0,iface=x\"");
  const std::string hostile = std::string("a\"b\\c\n") + '\x7f' + "\xc3\xa9";
  EXPECT_EQ(json_quoted(hostile), "\"a\\\"b\\\\c\\u000a\\u007f\\u00c3\\u00a9\"");
  EXPECT_NO_THROW((void)nlohmann::json::parse(json_quoted(hostile)));
}

}  // namespace
}  // namespace iocgate

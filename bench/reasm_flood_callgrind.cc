// bench/reasm_flood_callgrind.cc — the cost of one new flow under a flood of partial
// ClientHellos that never complete, at a given reassembly pool size, for instruction counts
// under `valgrind --tool=callgrind --toggle-collect=iocgate_flood_measured_pass`.
// The pool is filled first (every buffer held by a stalled hello); the measured pass then
// sends --measure new flows, each of which must take a buffer back from a stalled one. With
// eviction in O(1) the instructions per new flow do not depend on --buffers.
// A counting allocator reports any malloc/new during the measured pass (must be 0).
//
// usage: reasm_flood_callgrind --buffers N [--measure K] [--flows F]
#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "control/ioc_table_builder.h"
#include "dataplane/classifier.h"
#include "table/ioc_table_view.h"

// --- counting allocator: every allocation while g_counting is set is counted ---------------
extern "C" void* __libc_malloc(size_t);
extern "C" void* __libc_calloc(size_t, size_t);
extern "C" void* __libc_realloc(void*, size_t);
extern "C" void __libc_free(void*);
namespace {
std::atomic<bool> g_counting{false};
std::atomic<uint64_t> g_allocs{0};
}  // namespace
extern "C" void* malloc(size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocs.fetch_add(1, std::memory_order_relaxed);
  return __libc_malloc(n);
}
extern "C" void* calloc(size_t a, size_t b) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocs.fetch_add(1, std::memory_order_relaxed);
  return __libc_calloc(a, b);
}
extern "C" void* realloc(void* p, size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocs.fetch_add(1, std::memory_order_relaxed);
  return __libc_realloc(p, n);
}
extern "C" void free(void* p) { __libc_free(p); }

namespace {

using namespace iocgate;
using Bytes = std::vector<uint8_t>;

void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}

// The first bytes of a ClientHello that announces a 512-byte hello and stops after its
// random: a valid prefix, so the classifier buffers it and waits for the rest.
Bytes partial_hello() {
  Bytes b = {0x16, 0x03, 0x01};
  put16(b, 512 + 4);
  b.push_back(0x01);
  b.push_back(0x00);
  put16(b, 512);
  put16(b, 0x0303);
  for (int i = 0; i < 32; ++i) b.push_back(static_cast<uint8_t>(i * 13));
  b.push_back(0);  // session id length
  put16(b, 2);     // one cipher suite, the suite itself not sent yet
  return b;
}

// One TCP segment from client n (distinct address and port per flow) to 198.51.100.7:443.
Bytes frame(uint32_t n, const Bytes& payload) {
  Bytes f = {0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00};
  f.push_back(0x45);
  f.push_back(0);
  put16(f, static_cast<uint16_t>(20 + 20 + payload.size()));
  put16(f, 0);
  put16(f, 0x4000);
  f.push_back(64);
  f.push_back(6);
  put16(f, 0);
  f.push_back(10);
  f.push_back(static_cast<uint8_t>(n >> 16));
  f.push_back(static_cast<uint8_t>(n >> 8));
  f.push_back(static_cast<uint8_t>(n));
  for (uint8_t v : {198, 51, 100, 7}) f.push_back(v);
  put16(f, static_cast<uint16_t>(1024 + (n % 60000)));
  put16(f, 443);
  put16(f, 0x1000);
  put16(f, 0x0001);  // seq
  put16(f, 0);
  put16(f, 0);  // ack
  f.push_back(0x50);
  f.push_back(0x18);
  put16(f, 65535);
  put16(f, 0);
  put16(f, 0);
  f.insert(f.end(), payload.begin(), payload.end());
  return f;
}

struct Frames {
  std::vector<Bytes> bytes;
  std::vector<const uint8_t*> ptrs;
  std::vector<uint32_t> lens;
};

void run(Classifier& c, const Frames& f, size_t from, size_t to, uint64_t now) {
  Verdict v[kBurstSize];
  for (size_t i = from; i < to; i += kBurstSize) {
    const uint32_t n = static_cast<uint32_t>(std::min<size_t>(kBurstSize, to - i));
    c.classify_burst(&f.ptrs[i], &f.lens[i], n, now + i, v);
  }
}

}  // namespace

// The only function callgrind collects in (--toggle-collect): the new flows of the flood.
extern "C" __attribute__((noinline)) void iocgate_flood_measured_pass(Classifier* c, const Frames* f,
                                                                      size_t from, size_t to) {
  run(*c, *f, from, to, 1u << 30);
}

int main(int argc, char** argv) {
  uint32_t buffers = 4096, measure = 4096, flows = 1u << 20;
  CLI::App app{"new flows under a partial-ClientHello flood, for callgrind"};
  app.add_option("--buffers", buffers, "reassembly buffers (pool size)")->check(CLI::Range(1, 65535));
  app.add_option("--measure", measure, "new flows in the measured pass");
  app.add_option("--flows", flows, "flow table capacity");
  CLI11_PARSE(app, argc, argv);

  // A table that lists a name the flood never completes: its hellos are only ever buffered.
  table::IocTableBuilder b;
  const uint32_t feed = b.add_feed(table::FeedMeta{"bench", table::Action::kDrop, "", ""});
  Ioc ioc;
  ioc.kind = IocKind::kDomain;
  ioc.form = IocForm::kDomain;
  ioc.domain = "evil.example";
  b.add(feed, ioc);
  std::string error;
  auto blob = b.build();
  if (!blob) error = blob.message();
  table::IocTableView view;
  if (!blob || !view.attach(blob->data(), blob->size(), &error)) {
    std::fprintf(stderr, "reasm_flood_callgrind: %s\n", error.c_str());
    return 2;
  }

  // Warm-up: enough stalled hellos to hold every buffer, then the measured new flows.
  const Bytes hello = partial_hello();
  const size_t warm = size_t{buffers} + 64;
  Frames frames;
  for (uint32_t n = 0; n < warm + measure; ++n) frames.bytes.push_back(frame(n, hello));
  for (const Bytes& f : frames.bytes) {
    frames.ptrs.push_back(f.data());
    frames.lens.push_back(static_cast<uint32_t>(f.size()));
  }

  ClassifierConfig cfg;
  cfg.flow_capacity = flows;
  cfg.reassembly_buffers = static_cast<uint16_t>(buffers);
  Classifier c(cfg);
  c.set_table(&view, 1);
  run(c, frames, 0, warm, 1);
  const DataplaneCounters before = c.counters();
  g_counting.store(true);
  iocgate_flood_measured_pass(&c, &frames, warm, warm + measure);
  g_counting.store(false);
  const DataplaneCounters& after = c.counters();

  nlohmann::json j;
  j["tool"] = "reasm_flood_callgrind";
  j["buffers"] = buffers;
  j["new_flows"] = measure;
  j["allocations_in_measured_pass"] = g_allocs.load();
  j["buffers_taken_back"] = after.reasm_pool_empty - before.reasm_pool_empty;
  j["reasm_started"] = after.reasm_started - before.reasm_started;
  j["flows_created"] = after.flows_created - before.flows_created;
  // A stalled stream evicted from a full flow bucket gives its buffer back: the next new
  // flow takes it without taking one back.
  const uint64_t evicted = after.flows_evicted - before.flows_evicted;
  j["flows_evicted"] = evicted;
  std::printf("%s\n", j.dump().c_str());
  // Self-check for the smoke test: every new flow took a buffer back, none allocated.
  return g_allocs.load() == 0 && after.reasm_pool_empty - before.reasm_pool_empty + evicted >= measure ? 0 : 1;
}

// tests/fuzz/fuzz_xdp_verdict.cc — differential fuzzing of the XDP program's frame parse and
// judgement: each input is a frame, run through the loaded program (BPF_PROG_TEST_RUN) and
// through the dataplane's parser and the table view (tests/xdp/verdict_oracle.h), which are
// compiled in with the fuzzer's instrumentation to steer it. Any disagreement on the verdict,
// or on the match value in the event, traps. Needs root to load the program (exit 77 without).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "tests/xdp/verdict_oracle.h"
#include "tests/xdp/xdp_test_support.h"

namespace {

using iocgate::table::Action;

struct Rig {
  std::unique_ptr<iocgate::xdp::XdpLoader> loader;
  iocgate::table::TableBlob blob;
  iocgate::table::IocTableView view;
};

Rig* rig() {
  static Rig* r = [] {
    if (geteuid() != 0) {
      std::fprintf(stderr, "fuzz_xdp_verdict: loading the XDP program needs root\n");
      std::exit(77);
    }
    auto* g = new Rig();
    iocgate::xdp::LoadOptions o;
    o.instance = "fuzz";
    auto l = iocgate::xdp::XdpLoader::load(o);
    if (!l.ok()) {
      std::fprintf(stderr, "fuzz_xdp_verdict: %s\n", l.message().c_str());
      std::abort();
    }
    g->loader = std::move(*l);
    iocgate::test::TableSpec s;
    s.v4(Action::kDrop, {203, 0, 113, 66}, 32);
    s.v4(Action::kAlert, {198, 18, 0, 0}, 15);
    s.v4(Action::kMirror, {192, 0, 2, 0}, 24);
    s.v4(Action::kAllow, {192, 0, 2, 1}, 32);
    s.v4(Action::kDrop, {10, 0, 0, 0}, 9);
    s.v6(Action::kDrop, {0x20, 0x01, 0x0d, 0xb8, 0, 0x81, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x66}, 128);
    s.v6(Action::kAlert, {0x20, 0x01, 0x0d, 0xb8, 0, 0x82}, 48);
    s.v6(Action::kDrop, {0x20, 0x01, 0x0d, 0xb8}, 32);
    s.v6(Action::kAllow, {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128);
    s.domain(Action::kDrop, "evil.example");
    s.domain(Action::kAllow, "safe.evil.example");
    s.domain(Action::kAlert, "a");
    s.domain(Action::kMirror, "x.y.example");
    g->blob = s.build();
    std::string err;
    if (!g->view.attach(g->blob.data(), g->blob.size(), &err)) std::abort();
    auto in = g->loader->install(g->view, 1);
    if (!in.ok()) std::abort();
    return g;
  }();
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Rig* g = rig();
  // The kernel runs XDP on at least an Ethernet header, at most a page of linear data.
  if (size < 14 || size > 3000) return 0;
  const iocgate::test::Bytes frame(data, data + size);
  const iocgate::test::Expected want = iocgate::test::expected_verdict(g->view, frame.data(), frame.size());
  const int got = iocgate::test::run_frame(g->loader->xdp_prog_fd(), frame);
  if (got != ((want.action() == Action::kDrop || want.action() == Action::kReject) ? XDP_DROP : XDP_PASS)) {
    std::fprintf(stderr, "verdict %d, the dataplane decides %s\n", got, iocgate::table::action_name(want.action()));
    __builtin_trap();
  }
  const auto events = iocgate::test::drain_events(*g->loader);
  g->loader->sweep_flows(0, [](const iocgate_xdp_event&) {});  // every input a new flow
  if (want.value == iocgate::table::kNoMatch ? !events.empty()
                                             : (events.size() != 1 || events[0].match != want.value ||
                                                events[0].kind != want.kind)) {
    std::fprintf(stderr, "event disagrees: %zu events, match %u kind %u; the dataplane: match %u kind %u\n",
                 events.size(), events.empty() ? 0 : events[0].match, events.empty() ? 0 : events[0].kind,
                 want.value, want.kind);
    __builtin_trap();
  }
  return 0;
}

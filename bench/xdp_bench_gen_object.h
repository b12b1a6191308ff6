// bench/xdp_bench_gen_object.h — the benchmark's traffic generator program
// (xdp_bench_gen.bpf.c), embedded in xdp_bench at build time (xdp/embed_bpf_object.py).
#pragma once

#include <cstddef>

namespace iocgate::xdp {

extern const unsigned char kXdpBenchGenObject[];
extern const size_t kXdpBenchGenObjectSize;

}  // namespace iocgate::xdp

// bench/xdp_bench_gen.bpf.c — the benchmark's traffic generator, run by BPF_PROG_TEST_RUN in
// live-frames mode: each frame is the 64-byte template with its IPv4 source taken in turn
// from `sources`, redirected out of the sender's veth, so the receiver sees thousands of
// distinct addresses at a rate no socket reaches on these machines. `sink` is the receiver
// side's stand-in program when the filter under test is not XDP (veth only takes redirected
// frames into a peer that runs one): it passes every frame to the stack.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

// Set by xdp_bench before loading: one variable, so its fields' places are fixed.
const volatile struct {
  __u32 out_ifindex;
  __u32 source_count;
} gen_cfg = {0, 1};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1 << 16);
  __type(key, __u32);
  __type(value, __u32);  // network order
} sources SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} next SEC(".maps");

SEC("xdp")
int gen(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *end = (void *)(long)ctx->data_end;
  __u8 *ip = data + 14;
  if ((void *)(ip + 20) > end) return XDP_ABORTED;
  __u32 zero = 0;
  __u64 *n = bpf_map_lookup_elem(&next, &zero);
  if (!n) return XDP_ABORTED;
  __u32 k = (__u32)(*n % (gen_cfg.source_count ? gen_cfg.source_count : 1));
  (*n)++;
  __u32 *src = bpf_map_lookup_elem(&sources, &k);
  if (!src) return XDP_ABORTED;
  __builtin_memcpy(ip + 12, src, 4);
  // The header checksum over the 10 words, the old one left out.
  ip[10] = ip[11] = 0;
  __u32 sum = 0;
#pragma unroll
  for (int i = 0; i < 20; i += 2) sum += (__u32)ip[i] << 8 | ip[i + 1];
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  ip[10] = (__u8)(~sum >> 8);
  ip[11] = (__u8)~sum;
  return bpf_redirect(gen_cfg.out_ifindex, 0);
}

SEC("xdp")
int sink(struct xdp_md *ctx) { return XDP_PASS; }

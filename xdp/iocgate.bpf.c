// xdp/iocgate.bpf.c — the XDP enforcement program: judges every frame arriving on an interface
// by its IPv4/IPv6 addresses (hosts and prefixes of any length) and, for UDP port 53, by the
// DNS question name, against the ruleset image installed by iocgate-xdp (xdp/xdp_abi.h).
//
// The ruleset is one BPF array behind a one-slot map-in-map: a frame looks it up once and is
// judged by that image alone. The loader replaces the slot in one update, which returns only
// after every program run that could still see the old image has finished (an RCU grace
// period), so no frame is ever judged by a half-written or mixed ruleset. The parse follows
// dataplane/packet_parser.cc field for field, so both paths judge the same frames alike.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "xdp_abi.h"

char LICENSE[] SEC("license") = "GPL";

// Read-only data the loader stamps before loading: which instance this program serves, so
// a program left attached by a crash is told apart from another instance's.
const volatile char iocgate_instance[48] = "iocgate-instance:";

// ---- maps ----------------------------------------------------------------------------------

// One element is one cache line of the image (8 words): a lookup is a helper call here (an
// inner map's lookups are not inlined), so probes read a line per call, not a word.
struct ruleset_image {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(map_flags, BPF_F_INNER_MAP | BPF_F_MMAPABLE);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64[8]);  // struct iocgate_rs_line (clang's BTF keeps a pointee struct a forward)
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
  __uint(max_entries, 1);
  __type(key, __u32);
  __array(values, struct ruleset_image);
} ruleset SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct iocgate_xdp_counters);
} counters SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct iocgate_xdp_settings);
} settings SEC(".maps");

// Sized by the loader ([xdp] flow_capacity); LRU: a full map forgets the oldest flow.
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 65536);
  __type(key, struct iocgate_flow_key);
  __type(value, struct iocgate_flow_state);
} flows SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 1 << 20);
} events SEC(".maps");

// Per-CPU scratch: the DNS message head copied out of the frame, the question name in dotted
// form (room for a word compare of any suffix at any offset), and the lines the probe runs read.
#define DNS_COPY 272
enum { LINE_V4 = 0, LINE_DN = 1, LINE_NAME = 2 };
struct dns_scratch {
  __u8 msg[DNS_COPY + 16];
  __u8 name[512];
  __u64 line[3][8];
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct dns_scratch);
} scratch SEC(".maps");

// ---- the table's hash functions (table/table_hash.h; its known answers pin them) ---------

static __always_inline __u64 mix64(__u64 x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

static __always_inline __u32 reduce32(__u32 h, __u32 n) { return (__u32)(((__u64)h * n) >> 32); }

// ---- ruleset access --------------------------------------------------------------------------

// The line holding word `w` of the image, or NULL past its end (never produced by the loader).
static __always_inline __u64 *rs_line(void *rs, __u32 w) {
  __u32 k = w >> 3;
  struct iocgate_rs_line *l = bpf_map_lookup_elem(rs, &k);
  return l ? l->w : 0;
}

// A word of the image; past its end it reads as all ones, which every table treats as an
// empty slot.
static __always_inline __u64 rs_word(void *rs, __u32 i) {
  __u64 *l = rs_line(rs, i);
  return l ? l[i & 7] : ~0ULL;
}

static __always_inline int rs_bit(void *rs, __u32 base, __u64 bit) {
  return (rs_word(rs, base + (__u32)(bit >> 6)) >> (bit & 63)) & 1;
}

// Sequential reads (probe runs, pool names): the current line is copied to a per-CPU buffer,
// so a run costs one lookup per 8 words and the loop's state holds neither a pointer nor a
// variable stack offset (either would keep the verifier from seeing its iterations converge).
struct rs_cursor {
  __u32 line_no;
  __u32 valid;
};

static __always_inline int rs_read(void *rs, struct rs_cursor *c, __u32 buf, __u32 word, __u64 *out) {
  __u32 zero = 0;
  struct dns_scratch *s = bpf_map_lookup_elem(&scratch, &zero);
  if (!s || buf > 2) return 0;
  if (!c->valid || c->line_no != (word >> 3)) {
    __u64 *l = rs_line(rs, word);
    if (!l) return 0;
    __builtin_memcpy(s->line[buf], l, 64);
    c->line_no = word >> 3;
    c->valid = 1;
  }
  *out = s->line[buf][word & 7];
  return 1;
}

// -- IPv4 --

struct v4_probe {
  void *rs;
  __u32 base, cap, pos, key, value;
};

// One line of the run per call: the rest of its 8 slots from one lookup. A table starts on a
// line, so slot i is word i % 8 of line (base + i) / 8.
static long v4_probe_step(__u32 i, void *c) {
  struct v4_probe *p = c;
  __u64 *l = rs_line(p->rs, p->base + p->pos);
  if (!l) return 1;
  const __u32 first = p->pos & 7;
  // Unrolled with constant offsets: a running index would be turned into a moving pointer
  // whose bound the verifier cannot follow.
#pragma unroll
  for (__u32 k = 0; k < 8; ++k) {
    if (k < first) continue;
    __u64 w = l[k];
    __u32 v = (__u32)(w >> 32);
    if (v == IOCGATE_NO_MATCH) return 1;
    if ((__u32)w == p->key) {
      p->value = v;
      return 1;
    }
    if (++p->pos >= p->cap) {
      p->pos = 0;
      return 0;
    }
  }
  return 0;
}

static __always_inline __u32 v4_probe(void *rs, __u64 desc, __u32 key, __u32 len) {
  struct v4_probe p = {.rs = rs, .base = (__u32)desc, .cap = (__u32)(desc >> 32), .key = key,
                       .value = IOCGATE_NO_MATCH};
  if (p.cap == 0) return IOCGATE_NO_MATCH;
  p.pos = reduce32((__u32)mix64(((__u64)len << 32) | key), p.cap);
  bpf_loop(p.cap, v4_probe_step, &p, 0);
  return p.value;
}

struct v4_lens {
  void *rs;
  __u32 addr, value;
};

static long v4_len_step(__u32 i, void *c) {
  struct v4_lens *l = c;
  __u32 len = (__u32)(rs_word(l->rs, RS_V4_LENS + (i >> 3)) >> ((i & 7) * 8)) & 0xff;
  if (len >= 32) return 1;
  __u32 key = len == 0 ? 0 : l->addr & (~0u << (32 - len));
  l->value = v4_probe(l->rs, rs_word(l->rs, RS_V4_TABLE + len), key, len);
  return l->value != IOCGATE_NO_MATCH;
}

// `addr` in host byte order. The same steps as IocTableView::lookup_v4.
static __always_inline __u32 lookup_v4(void *rs, __u32 addr) {
  __u64 touched = rs_word(rs, RS_V4_TOUCHED);
  if (touched == 0 || !rs_bit(rs, (__u32)touched, addr >> 8)) return IOCGATE_NO_MATCH;
  __u32 v = v4_probe(rs, rs_word(rs, RS_V4_TABLE + 32), addr, 32);
  if (v != IOCGATE_NO_MATCH) return v;
  if (!rs_bit(rs, (__u32)rs_word(rs, RS_V4_PREFIXED), addr >> 8)) return IOCGATE_NO_MATCH;
  struct v4_lens l = {.rs = rs, .addr = addr, .value = IOCGATE_NO_MATCH};
  __u32 n = (__u32)rs_word(rs, RS_V4_LEN_COUNT);
  if (n > 32) return IOCGATE_NO_MATCH;
  bpf_loop(n, v4_len_step, &l, 0);
  return l.value;
}

// -- IPv6 --

struct v6_probe {
  void *rs;
  __u64 hi, lo;
  __u32 base, cap, pos, value;
};

// IPv6 slots (3 words) straddle lines: word by word. Their probes follow a filter hit only.
static long v6_probe_step(__u32 i, void *c) {
  struct v6_probe *p = c;
  __u32 at = p->base + p->pos * 3;
  __u32 v = (__u32)rs_word(p->rs, at + 2);
  if (v == IOCGATE_NO_MATCH) return 1;
  if (rs_word(p->rs, at) == p->hi && rs_word(p->rs, at + 1) == p->lo) {
    p->value = v;
    return 1;
  }
  if (++p->pos >= p->cap) p->pos = 0;
  return 0;
}

struct v6_lens {
  void *rs;
  __u64 hi, lo;
  __u32 filter, log2, value;
};

static long v6_len_step(__u32 i, void *c) {
  struct v6_lens *l = c;
  __u32 len = (__u32)(rs_word(l->rs, RS_V6_LENS + (i >> 3)) >> ((i & 7) * 8)) & 0xff;
  if (len > 128) return 1;
  __u64 mh, ml;
  if (len == 0) {
    mh = ml = 0;
  } else if (len <= 64) {
    mh = len == 64 ? l->hi : l->hi & (~0ULL << (64 - len));
    ml = 0;
  } else {
    mh = l->hi;
    ml = len == 128 ? l->lo : l->lo & (~0ULL << (128 - len));
  }
  __u64 h = mix64(mh ^ mix64(ml + len));
  if (l->log2 < 6 || l->log2 > 30) return 1;
  if (!rs_bit(l->rs, l->filter, h >> (64 - l->log2))) return 0;
  __u64 desc = rs_word(l->rs, RS_V6_TABLE + len);
  struct v6_probe p = {.rs = l->rs, .hi = mh, .lo = ml, .base = (__u32)desc, .cap = (__u32)(desc >> 32),
                       .value = IOCGATE_NO_MATCH};
  if (p.cap == 0) return 0;
  p.pos = reduce32((__u32)h, p.cap);
  bpf_loop(p.cap, v6_probe_step, &p, 0);
  l->value = p.value;
  return p.value != IOCGATE_NO_MATCH;
}

// `a` is 16 bytes in network byte order. The same steps as IocTableView::lookup_v6.
static __always_inline __u32 lookup_v6(void *rs, const __u8 *a) {
  __u32 n = (__u32)rs_word(rs, RS_V6_LEN_COUNT);
  if (n == 0 || n > 129) return IOCGATE_NO_MATCH;
  struct v6_lens l = {.rs = rs, .filter = (__u32)rs_word(rs, RS_V6_FILTER),
                      .log2 = (__u32)rs_word(rs, RS_V6_FILTER_LOG2), .value = IOCGATE_NO_MATCH};
  __u64 hi, lo;
  __builtin_memcpy(&hi, a, 8);
  __builtin_memcpy(&lo, a + 8, 8);
  l.hi = bpf_be64_to_cpu(hi);
  l.lo = bpf_be64_to_cpu(lo);
  bpf_loop(n, v6_len_step, &l, 0);
  return l.value;
}

// -- domains --

struct dn_probe {
  void *rs;
  struct dns_scratch *s;
  __u32 base, cap, pos, tag, start, len, value;
};

// The pool name at word `off` equals name[start, start + len): whole words, zero-padded.
struct name_cmp {
  void *rs;
  struct dns_scratch *s;
  struct rs_cursor cur;
  __u32 off, start, words, equal;
};

static long name_cmp_step(__u32 k, void *c) {
  struct name_cmp *n = c;
  if (k >= n->words) return 1;
  __u64 w, p;
  __builtin_memcpy(&w, n->s->name + (n->start & 255) + (k & 31) * 8, 8);
  if (!rs_read(n->rs, &n->cur, LINE_NAME, n->off + k, &p) || w != p) {
    n->equal = 0;
    return 1;
  }
  return 0;
}

static __always_inline int name_equal(void *rs, struct dns_scratch *s, __u32 off, __u32 start, __u32 len) {
  struct name_cmp n = {.rs = rs, .s = s, .off = off, .start = start, .words = (len + 7) / 8, .equal = 1};
  if (n.words > 32) return 0;
  bpf_loop(n.words, name_cmp_step, &n, 0);
  return n.equal;
}

// One line per call: the rest of its 4 slots of 2 words (slots start on even words of a
// line-aligned table, so a slot never straddles lines).
// One slot per call (2 words, never straddling lines: slots start on even words of a
// line-aligned table). Domain probes follow a filter hit only, so runs are short.
static long dn_probe_step(__u32 i, void *c) {
  struct dn_probe *p = c;
  const __u32 at = p->base + p->pos * 2;
  __u64 *l = rs_line(p->rs, at);
  if (!l) return 1;
  const __u64 w = l[at & 7], nm = l[(at + 1) & 7];
  const __u32 v = (__u32)(w >> 32);
  if (v == IOCGATE_NO_MATCH) return 1;
  if ((__u32)w == p->tag && (__u32)(nm >> 32) == p->len && name_equal(p->rs, p->s, (__u32)nm, p->start, p->len)) {
    p->value = v;
    return 1;
  }
  if (++p->pos >= p->cap) p->pos = 0;
  return 0;
}

struct dn_suffixes {
  void *rs;
  struct dns_scratch *s;
  __u64 state;
  __u32 n, filter, log2, value;
  __u64 desc;
};

// Right to left over the name: at each label start the running hash is that suffix's
// (SuffixHasher); a suffix that passes the filter is probed. Later hits are longer suffixes,
// so the last one is the most specific listed domain, as IocTableView::lookup_domain returns.
static long dn_suffix_step(__u32 j, void *c) {
  struct dn_suffixes *d = c;
  if (j >= d->n) return 1;
  __u32 i = (d->n - 1 - j) & 255;
  d->state = (d->state ^ d->s->name[i]) * 0x100000001b3ULL;
  if (i != 0 && d->s->name[(i - 1) & 255] != '.') return 0;
  __u32 slen = d->n - i;
  __u64 h = mix64(d->state ^ ((__u64)slen << 56));
  if (!rs_bit(d->rs, d->filter, h >> (64 - d->log2))) return 0;
  struct dn_probe p = {.rs = d->rs, .s = d->s, .base = (__u32)d->desc, .cap = (__u32)(d->desc >> 32),
                       .tag = (__u32)(h >> 32), .start = i, .len = slen, .value = IOCGATE_NO_MATCH};
  if (p.cap == 0) return 1;
  p.pos = reduce32((__u32)h, p.cap);
  bpf_loop(p.cap, dn_probe_step, &p, 0);
  if (p.value != IOCGATE_NO_MATCH) d->value = p.value;
  return 0;
}

// The question name, as dataplane/dns_qname.cc reads it: labels of 1..63 bytes without NUL
// or '.', at most 253 characters dotted, no compression pointer, QTYPE and QCLASS present.
struct qname {
  struct dns_scratch *s;
  __u32 msg_len;   // bytes of the DNS message in the frame (the copy holds min(msg_len, DNS_COPY))
  __u32 next;      // offset in msg of the next length byte
  __u32 n;         // name characters written
  __u32 done;      // 1 found, 2 not a readable name
};

static long qname_step(__u32 j, void *c) {
  struct qname *q = c;
  __u32 at = 12 + j;
  if (at >= q->msg_len || at >= DNS_COPY) {
    q->done = 2;
    return 1;
  }
  __u8 b = q->s->msg[at & 511];
  if (at == q->next) {
    if (b == 0) {
      // QTYPE and QCLASS complete the question; the root name names nothing.
      q->done = q->msg_len - at - 1 >= 4 && q->n != 0 ? 1 : 2;
      return 1;
    }
    __u32 dot = q->n != 0;
    if (b > 63 || q->n + dot + b > IOCGATE_MAX_NAME || q->msg_len - at - 1 < b) {
      q->done = 2;
      return 1;
    }
    if (dot) q->s->name[q->n++ & 255] = '.';
    q->next = at + 1 + b;
    return 0;
  }
  if (b == 0 || b == '.') {
    q->done = 2;
    return 1;
  }
  if (b >= 'A' && b <= 'Z') b |= 0x20;
  q->s->name[q->n++ & 255] = b;
  return 0;
}

// The DNS question of the UDP payload at [off, off + len), judged against the name table.
static __always_inline __u32 lookup_dns(struct xdp_md *ctx, void *rs, __u32 off, __u32 len) {
  __u64 desc = rs_word(rs, RS_DN_TABLE);
  __u32 filter = (__u32)rs_word(rs, RS_DN_FILTER);
  __u32 log2 = (__u32)rs_word(rs, RS_DN_FILTER_LOG2);
  if (filter == 0 || (desc >> 32) == 0 || log2 < 6 || log2 > 30 || len < 12) return IOCGATE_NO_MATCH;
  __u32 zero = 0;
  struct dns_scratch *s = bpf_map_lookup_elem(&scratch, &zero);
  if (!s) return IOCGATE_NO_MATCH;
  __u32 copy = len > DNS_COPY ? DNS_COPY : len;
  if (copy < 12 || bpf_xdp_load_bytes(ctx, off, s->msg, copy) != 0) return IOCGATE_NO_MATCH;
  if (s->msg[4] == 0 && s->msg[5] == 0) return IOCGATE_NO_MATCH;  // QDCOUNT 0
  struct qname q = {.s = s, .msg_len = len, .next = 12};
  bpf_loop(256, qname_step, &q, 0);
  if (q.done != 1 || q.n == 0 || q.n > IOCGATE_MAX_NAME) return IOCGATE_NO_MATCH;
  __u64 z = 0;
  __builtin_memcpy(s->name + (q.n & 255), &z, 8);
  struct dn_suffixes d = {.rs = rs, .s = s, .state = 0xcbf29ce484222325ULL, .n = q.n, .filter = filter,
                          .log2 = log2, .value = IOCGATE_NO_MATCH, .desc = desc};
  bpf_loop(q.n, dn_suffix_step, &d, 0);
  return d.value;
}

// ---- the frame ---------------------------------------------------------------------------

enum parse_status { P_OK = 0, P_NOT_IP, P_TRUNCATED, P_MALFORMED };

struct frame {
  __u8 src[16];
  __u8 dst[16];
  __u16 sport, dport;
  __u16 vlan;
  __u8 vlan_count;
  __u8 ip_version;
  __u8 proto;
  __u8 has_l4;
  __u8 is_fragment;
  __u8 later_fragment;
  __u8 tcp_flags;
  __u8 pad;
  __u32 payload_off;
  __u32 payload_len;
};

#define LOAD_BE16(p) ((__u16)(((const __u8 *)(p))[0] << 8 | ((const __u8 *)(p))[1]))

static __always_inline int is_vlan_tpid(__u16 t) { return t == 0x8100 || t == 0x88a8 || t == 0x9100; }

// The frame parse is split into global functions: the verifier checks each once, with its
// offsets as unknown bounded scalars, instead of once per VLAN tag count and header chain.

// TCP or UDP ports and the payload in [off, end) of the frame; `end` is where the IP datagram
// ends (Ethernet padding excluded).
__noinline int parse_l4(struct xdp_md *ctx, __u32 off, __u32 end, struct frame *f) {
  if (!f) return P_MALFORMED;
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  if (off > end || end > 0xffff) return P_MALFORMED;
  f->payload_off = off;
  f->payload_len = end - off;
  if (f->later_fragment) return P_OK;
  if (off > 0x3fff) return P_TRUNCATED;
  __u8 *l4 = data + off;
  if (f->proto == IPPROTO_TCP) {
    if (end - off < 20 || (void *)(l4 + 20) > data_end) return P_TRUNCATED;
    __u32 doff = (__u32)(l4[12] >> 4) * 4;
    if (doff < 20) return P_MALFORMED;
    if (end - off < doff) return P_TRUNCATED;
    f->sport = LOAD_BE16(l4);
    f->dport = LOAD_BE16(l4 + 2);
    f->tcp_flags = l4[13];
    f->has_l4 = 1;
    f->payload_off = off + doff;
    f->payload_len = end - off - doff;
  } else if (f->proto == IPPROTO_UDP) {
    if (end - off < 8 || (void *)(l4 + 8) > data_end) return P_TRUNCATED;
    f->sport = LOAD_BE16(l4);
    f->dport = LOAD_BE16(l4 + 2);
    f->has_l4 = 1;
    f->payload_off = off + 8;
    __u32 ulen = LOAD_BE16(l4 + 4);
    __u32 avail = end - off;
    f->payload_len = (ulen >= 8 && ulen <= avail ? ulen : avail) - 8;
  }
  return P_OK;
}

__noinline int parse_ipv4(struct xdp_md *ctx, __u32 off, struct frame *f) {
  if (!f) return P_MALFORMED;
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  __u32 len = (__u32)(data_end - data);
  if (off > 64) return P_MALFORMED;
  __u8 *ip = data + off;
  if (len < off + 20 || (void *)(ip + 20) > data_end) return P_TRUNCATED;
  if ((ip[0] >> 4) != 4) return P_MALFORMED;
  f->ip_version = 4;
  __builtin_memcpy(f->src, ip + 12, 4);
  __builtin_memcpy(f->dst, ip + 16, 4);
  f->proto = ip[9];
  __u16 frag = LOAD_BE16(ip + 6);
  f->is_fragment = (frag & 0x3fff) != 0;
  f->later_fragment = (frag & 0x1fff) != 0;
  __u32 ihl = (__u32)(ip[0] & 0x0f) * 4;
  if (ihl < 20) return P_MALFORMED;
  if (len - off < ihl) return P_TRUNCATED;
  __u32 total = LOAD_BE16(ip + 2);
  if (total < ihl) return P_MALFORMED;
  if (len - off < total) return P_TRUNCATED;
  return parse_l4(ctx, off + ihl, off + total, f);
}

// One step of the IPv6 extension-header walk (hop-by-hop, routing, destination options,
// fragment, AH): 0 to go on, 1 at the upper layer (w->next), else a parse status + 10.
struct v6_walk {
  __u32 cur, end, next;
  __u32 fragment, later_fragment;
};

__noinline int v6_ext_step(struct xdp_md *ctx, struct v6_walk *w) {
  if (!w) return 10 + P_MALFORMED;
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  __u32 cur = w->cur, end = w->end, next = w->next, hlen;
  if (cur > 0x3fff || cur > end) return 10 + P_TRUNCATED;
  __u8 *h = data + cur;
  if (next == 0 || next == 43 || next == 60 || next == 51) {
    if (end - cur < 2 || (void *)(h + 2) > data_end) return 10 + P_TRUNCATED;
    hlen = next == 51 ? ((__u32)h[1] + 2) * 4 : ((__u32)h[1] + 1) * 8;
  } else if (next == 44) {
    hlen = 8;
    if (end - cur < 8 || (void *)(h + 8) > data_end) return 10 + P_TRUNCATED;
    w->fragment = 1;
    w->later_fragment = (LOAD_BE16(h + 2) & 0xfff8) != 0;
  } else {
    return 1;
  }
  if (end - cur < hlen) return 10 + P_TRUNCATED;
  w->next = h[0];
  w->cur = cur + hlen;
  return 0;
}

__noinline int parse_ipv6(struct xdp_md *ctx, __u32 off, struct frame *f) {
  if (!f) return P_MALFORMED;
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  __u32 len = (__u32)(data_end - data);
  if (off > 64) return P_MALFORMED;
  __u8 *ip = data + off;
  if (len < off + 40 || (void *)(ip + 40) > data_end) return P_TRUNCATED;
  if ((ip[0] >> 4) != 6) return P_MALFORMED;
  f->ip_version = 6;
  __builtin_memcpy(f->src, ip + 8, 16);
  __builtin_memcpy(f->dst, ip + 24, 16);
  struct v6_walk w = {.cur = off + 40, .end = off + 40 + LOAD_BE16(ip + 4), .next = ip[6]};
  if (w.end > len) return P_TRUNCATED;
  // At most 8 extension headers, as the dataplane's walk: a longer chain is malformed.
  for (int i = 0; i < 9; ++i) {
    int r = v6_ext_step(ctx, &w);
    if (r == 1) {
      f->proto = (__u8)w.next;
      return parse_l4(ctx, w.cur, w.end, f);
    }
    if (w.fragment) {
      f->is_fragment = 1;
      f->later_fragment = w.later_fragment;
    }
    if (r != 0) return r - 10;
    if (i == 8) return P_MALFORMED;
    if (f->later_fragment) {
      // The rest of the chain lives in the first fragment; what follows here is data.
      f->proto = (__u8)w.next;
      return parse_l4(ctx, w.cur, w.end, f);
    }
  }
  return P_MALFORMED;
}

__noinline int parse_frame(struct xdp_md *ctx, struct frame *f) {
  if (!f) return P_MALFORMED;
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  if (data + 14 > data_end) return P_TRUNCATED;
  __u16 et = LOAD_BE16((__u8 *)data + 12);
  __u32 off = 14;
  // Tags beyond the two recorded are skipped, not refused (stacking must not carry an address
  // past the filter); a ninth is malformed, as in the dataplane.
#pragma unroll
  for (int tags = 0; tags < 9; ++tags) {
    if (!is_vlan_tpid(et)) break;
    if (tags == 8) return P_MALFORMED;
    __u8 *t = data + off;
    if ((void *)(t + 4) > data_end) return P_TRUNCATED;
    if (f->vlan_count == 0) f->vlan = LOAD_BE16(t) & 0x0fff;
    if (f->vlan_count < 2) f->vlan_count++;
    et = LOAD_BE16(t + 2);
    off += 4;
  }
  if (et == ETH_P_IP) return parse_ipv4(ctx, off, f);
  if (et == ETH_P_IPV6) return parse_ipv6(ctx, off, f);
  return P_NOT_IP;
}

// ---- judgement -------------------------------------------------------------------------------

static __always_inline __u32 action_of(__u32 v) { return v == IOCGATE_NO_MATCH ? XA_NONE : v >> IOCGATE_ACTION_SHIFT; }

static __always_inline __u32 host_v4(const __u8 *a) {
  return (__u32)a[0] << 24 | (__u32)a[1] << 16 | (__u32)a[2] << 8 | a[3];
}

// Whether the frame's source sorts first among the two endpoints: address bytes in memcmp
// order, then ports, as the dataplane's flow key (dataplane/flow_table.h) orders them.
static __always_inline int src_sorts_first(const struct frame *f) {
  __u64 s0, s1, d0, d1;
  __builtin_memcpy(&s0, f->src, 8);
  __builtin_memcpy(&s1, f->src + 8, 8);
  __builtin_memcpy(&d0, f->dst, 8);
  __builtin_memcpy(&d1, f->dst + 8, 8);
  s0 = bpf_be64_to_cpu(s0);
  s1 = bpf_be64_to_cpu(s1);
  d0 = bpf_be64_to_cpu(d0);
  d1 = bpf_be64_to_cpu(d1);
  __u16 sp = f->has_l4 ? f->sport : 0, dp = f->has_l4 ? f->dport : 0;
  return s0 < d0 || (s0 == d0 && (s1 < d1 || (s1 == d1 && sp <= dp)));
}

// The flow's key, endpoints sorted so that both directions of a flow share it.
static __always_inline void flow_key_of(const struct frame *f, int src_is_a, struct iocgate_flow_key *k) {
  __builtin_memcpy(k->a, src_is_a ? f->src : f->dst, 16);
  __builtin_memcpy(k->b, src_is_a ? f->dst : f->src, 16);
  __u16 sp = f->has_l4 ? f->sport : 0, dp = f->has_l4 ? f->dport : 0;
  k->port_a = src_is_a ? sp : dp;
  k->port_b = src_is_a ? dp : sp;
  k->ip_version = f->ip_version;
  k->proto = f->proto;
  k->pad[0] = k->pad[1] = 0;
}

// Whether the frame's sender is the flow's client, for a flow first seen at this frame: a
// SYN-ACK, or a reply from a well-known port to a high one, comes from the server.
static __always_inline int sender_is_client(const struct frame *f) {
  if (!f->has_l4) return 1;
  if (f->proto == IPPROTO_TCP && (f->tcp_flags & 0x12) == 0x12) return 0;
  if (f->proto == IPPROTO_TCP && (f->tcp_flags & 0x12) == 0x02) return 1;
  return !(f->sport < 1024 && f->dport >= 1024);
}

static __always_inline void emit(struct iocgate_xdp_counters *c, const struct iocgate_flow_key *k,
                                 const struct iocgate_flow_state *st, __u64 now) {
  struct iocgate_xdp_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
  if (!e) {
    c->events_lost++;
    return;
  }
  e->time = now;
  e->generation = st->generation;
  e->match = st->match;
  e->packets = 1;
  e->type = 0;
  e->kind = st->kind;
  e->ioc_side = st->ioc_side;
  e->ip_version = k->ip_version;
  e->proto = k->proto;
  e->vlan_count = st->vlan_count;
  e->vlan = st->vlan;
  __builtin_memcpy(e->client, st->client_is_a ? k->a : k->b, 16);
  __builtin_memcpy(e->server, st->client_is_a ? k->b : k->a, 16);
  e->client_port = st->client_is_a ? k->port_a : k->port_b;
  e->server_port = st->client_is_a ? k->port_b : k->port_a;
  bpf_ringbuf_submit(e, 0);
}

// The flow's first match, and again when a stronger action takes over (as the dataplane).
static __always_inline void record_match(struct iocgate_xdp_counters *c, const struct frame *f, __u32 action,
                                         __u32 decided, __u8 kind, int ioc_is_src, __u64 generation) {
  struct iocgate_flow_key k;
  int src_is_a = src_sorts_first(f);
  flow_key_of(f, src_is_a, &k);
  // Coarse (jiffies) time is enough for events and idle sweeps, and far cheaper in a VM.
  __u64 now = bpf_ktime_get_coarse_ns();
  struct iocgate_flow_state *st = bpf_map_lookup_elem(&flows, &k);
  if (!st) {
    struct iocgate_flow_state fresh = {};
    int client_is_src = sender_is_client(f);
    fresh.first_ns = now;
    fresh.client_is_a = client_is_src ? src_is_a : !src_is_a;
    fresh.vlan = f->vlan;
    fresh.vlan_count = f->vlan_count;
    if (bpf_map_update_elem(&flows, &k, &fresh, BPF_NOEXIST) == 0) c->flows_created++;
    st = bpf_map_lookup_elem(&flows, &k);
    if (!st) return;
  }
  __sync_fetch_and_add(&st->packets, 1);
  st->last_ns = now;
  __u32 old = st->action;
  if (action <= old || __sync_val_compare_and_swap(&st->action, old, action) != old) return;
  st->match = decided;
  st->kind = kind;
  st->generation = generation;
  // Which address matched, seen from the flow: the client's or the server's.
  int src_is_client = st->client_is_a ? src_is_a : !src_is_a;
  st->ioc_side = kind == 2 ? 0 : (ioc_is_src == src_is_client ? 1 : 2);
  emit(c, &k, st, now);
}

// Puts the alert mark in front of the frame for the tc program; no mark when none is set.
static __always_inline void mark_frame(struct xdp_md *ctx, struct iocgate_xdp_counters *c, __u32 action) {
  __u32 zero = 0;
  struct iocgate_xdp_settings *s = bpf_map_lookup_elem(&settings, &zero);
  if (!s || (action == XA_ALERT ? s->alert_mark : s->mirror_mark) == 0) return;
  if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(__u32)) != 0) return;
  void *data = (void *)(long)ctx->data;
  __u32 *meta = (void *)(long)ctx->data_meta;
  if ((void *)(meta + 1) > data) return;
  *meta = IOCGATE_META_MAGIC << 16 | action;
  c->marked++;
}

SEC("xdp")
int iocgate_xdp(struct xdp_md *ctx) {
  __u32 zero = 0;
  struct iocgate_xdp_counters *c = bpf_map_lookup_elem(&counters, &zero);
  if (!c) return XDP_PASS;
  c->rx_packets++;
  void *rs = bpf_map_lookup_elem(&ruleset, &zero);
  if (!rs) {
    struct iocgate_xdp_settings *s = bpf_map_lookup_elem(&settings, &zero);
    if (s && s->fail_closed) {
      c->dropped++;
      c->dropped_no_table++;
      return XDP_DROP;
    }
    c->passed++;
    return XDP_PASS;
  }

  struct frame f = {};
  int st = parse_frame(ctx, &f);
  if (st == P_NOT_IP) c->non_ip++;
  else if (st == P_TRUNCATED) c->truncated++;
  else if (st == P_MALFORMED) c->malformed++;
  // A frame cut short after its IP header is still judged by its addresses.
  if (f.ip_version == 0) {
    c->passed++;
    return XDP_PASS;
  }
  if (st != P_OK) f.has_l4 = 0;
  if (f.is_fragment) c->fragments++;

  __u32 ma, mb;
  if (f.ip_version == 4) {
    ma = lookup_v4(rs, host_v4(f.src));
    mb = lookup_v4(rs, host_v4(f.dst));
  } else {
    ma = lookup_v6(rs, f.src);
    mb = lookup_v6(rs, f.dst);
  }
  // The stronger listed endpoint decides; on a tie the one that sorts first, as in the
  // dataplane, so both directions of a flow name the same IoC.
  int take_src;
  if (ma == IOCGATE_NO_MATCH) take_src = 0;
  else if (mb == IOCGATE_NO_MATCH) take_src = 1;
  else if (action_of(ma) != action_of(mb)) take_src = action_of(ma) > action_of(mb);
  else take_src = src_sorts_first(&f);
  __u32 addr = take_src ? ma : mb;
  __u32 dns = IOCGATE_NO_MATCH;
  if (f.has_l4 && f.proto == IPPROTO_UDP && (f.sport == 53 || f.dport == 53) && f.payload_len > 0)
    dns = lookup_dns(ctx, rs, f.payload_off, f.payload_len);

  __u32 a_addr = action_of(addr), a_dns = action_of(dns);
  __u32 action = a_dns > a_addr ? a_dns : a_addr;
  if (action == XA_NONE) {
    c->passed++;
    return XDP_PASS;
  }
  __u8 kind;
  __u32 decided;
  if (a_dns >= a_addr) {
    kind = 2;
    decided = dns;
    c->match_dns++;
  } else {
    kind = 1;
    decided = addr;
    if (f.ip_version == 4) c->match_v4++;
    else c->match_v6++;
  }
  record_match(c, &f, action, decided, kind, take_src, rs_word(rs, RS_GENERATION));

  switch (action) {
    case XA_DROP:
      c->dropped++;
      return XDP_DROP;
    case XA_REJECT:
      c->dropped++;
      c->rejected++;
      return XDP_DROP;
    case XA_ALLOW:
      c->allowed++;
      break;
    case XA_MIRROR:
      c->mirrored++;
      mark_frame(ctx, c, action);
      break;
    default:
      c->alerted++;
      mark_frame(ctx, c, action);
      break;
  }
  c->passed++;
  return XDP_PASS;
}

// tc ingress, after the XDP program: turns its metadata into the skb mark, so nftables, tc
// or policy routing can act on alert- and mirror-listed frames (log, count, `dup to`).
SEC("tc")
int iocgate_mark(struct __sk_buff *skb) {
  void *data = (void *)(long)skb->data;
  __u32 *meta = (void *)(long)skb->data_meta;
  if ((void *)(meta + 1) > data || (*meta >> 16) != IOCGATE_META_MAGIC) return TC_ACT_OK;
  __u32 zero = 0;
  struct iocgate_xdp_settings *s = bpf_map_lookup_elem(&settings, &zero);
  if (!s) return TC_ACT_OK;
  __u32 mark = (*meta & 0xff) == XA_MIRROR ? s->mirror_mark : s->alert_mark;
  if (mark != 0) skb->mark = mark;
  return TC_ACT_OK;
}

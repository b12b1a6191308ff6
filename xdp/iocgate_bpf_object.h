// xdp/iocgate_bpf_object.h — the compiled XDP program (iocgate.bpf.c, clang -target bpf),
// embedded in the executable at build time so the loader never reads an object file that
// someone could have replaced. Defined by the source embed_bpf_object.py generates.
#pragma once

#include <cstddef>

namespace iocgate::xdp {

extern const unsigned char kIocgateBpfObject[];
extern const size_t kIocgateBpfObjectSize;

}  // namespace iocgate::xdp

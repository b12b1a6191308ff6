// feeds/public_suffix.cc — see public_suffix.h. The list is loaded once, on first use,
// and then only read, so the lookups are pure and thread-safe.
#include "feeds/public_suffix.h"

#include <libpsl.h>

#include <string>

namespace iocgate {
namespace {

// psl_latest(NULL) takes the newer of the system file (/usr/share/publicsuffix) and the
// copy built into libpsl; the built-in copy is the fallback when the file is missing.
const psl_ctx_t* context() {
  static const psl_ctx_t* ctx = [] {
    const psl_ctx_t* c = psl_latest(nullptr);
    return c != nullptr ? c : psl_builtin();
  }();
  return ctx;
}

}  // namespace

bool is_public_suffix(std::string_view name) {
  const psl_ctx_t* ctx = context();
  if (ctx == nullptr || name.empty()) return false;
  std::string s(name);
  return psl_is_public_suffix2(ctx, s.c_str(), PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE) != 0;
}

bool has_known_tld(std::string_view name) {
  size_t dot = name.rfind('.');
  std::string_view tld = dot == std::string_view::npos ? name : name.substr(dot + 1);
  return is_public_suffix(tld);
}

}  // namespace iocgate

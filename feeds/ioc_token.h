// feeds/ioc_token.h — what one token of a list is: an IoC, a known kind with nothing to
// enforce (hash, e-mail), or an error. Shared by the plain, Adblock and RPZ list readers.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "feeds/ioc.h"

namespace iocgate {

struct IocToken {
  std::optional<Ioc> ioc;
  const char* skip = nullptr;  // "md5", "sha256", "email", ...: read, not enforceable
  std::string error;           // set when neither: the reason, quoting the token
};

// Refangs `raw`, then: a URL, with or without its scheme -> its host; a hash -> skip; an
// e-mail -> skip; "host:port" and "[IPv6]:port" -> the host (a port alone is not enforced);
// an address or CIDR; a domain.
IocToken classify_ioc_token(std::string_view raw);

// "md5", "sha1", "sha256", "sha512" when `t` is only hex digits of that length, else null.
const char* hash_kind(std::string_view t);

}  // namespace iocgate

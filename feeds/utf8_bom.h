// feeds/utf8_bom.h — drops the UTF-8 byte order mark that Windows editors and some exports
// prepend; otherwise it sticks to the first IoC or header and makes it unparseable.
#pragma once

#include <string_view>

namespace iocgate {

inline std::string_view strip_utf8_bom(std::string_view content) {
  if (content.substr(0, 3) == "\xEF\xBB\xBF") content.remove_prefix(3);
  return content;
}

}  // namespace iocgate

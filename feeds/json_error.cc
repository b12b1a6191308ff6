// feeds/json_error.cc — see json_error.h.
#include "feeds/json_error.h"

#include <algorithm>

namespace iocgate {

uint32_t line_of_offset(std::string_view s, size_t offset) {
  offset = std::min(offset, s.size());
  return 1 + static_cast<uint32_t>(std::count(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
}

std::string without_exception_id(std::string_view what) {
  if (!what.empty() && what[0] == '[') {
    size_t close = what.find("] ");
    if (close != std::string_view::npos) what.remove_prefix(close + 2);
  }
  return std::string(what);
}

}  // namespace iocgate

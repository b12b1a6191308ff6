// feeds/defang.cc — see defang.h.
#include "feeds/defang.h"

#include <array>
#include <utility>

namespace iocgate {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (lower(s[i]) != prefix[i]) return false;
  return true;
}

}  // namespace

std::string refang(std::string_view token) {
  // Longest first, so "[://]" wins over "[:]".
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 10> kInline = {{
      {"[://]", "://"}, {"[dot]", "."}, {"(dot)", "."}, {"{dot}", "."}, {"[.]", "."},
      {"(.)", "."}, {"{.}", "."}, {"[:]", ":"}, {"[at]", "@"}, {"[@]", "@"},
  }};
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kSchemes = {{
      {"hxxps", "https"}, {"hxxp", "http"}, {"fxp", "ftp"},
  }};
  std::string out;
  out.reserve(token.size());
  size_t i = 0;
  for (const auto& [from, to] : kSchemes) {
    // Only a scheme position: "fxp" inside a host name is a legitimate string.
    if (starts_with_nocase(token, from) &&
        (starts_with_nocase(token.substr(from.size()), "://") ||
         starts_with_nocase(token.substr(from.size()), "[://]") ||
         starts_with_nocase(token.substr(from.size()), "[:]//"))) {
      out += to;
      i = from.size();
      break;
    }
  }
  while (i < token.size()) {
    bool replaced = false;
    if (token[i] == '[' || token[i] == '(' || token[i] == '{') {
      for (const auto& [from, to] : kInline) {
        if (starts_with_nocase(token.substr(i), from)) {
          out += to;
          i += from.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += token[i++];
  }
  return out;
}

}  // namespace iocgate

// feeds/list_header.cc — see list_header.h.
#include "feeds/list_header.h"

#include <cctype>
#include <string>

#include "feeds/text_lines.h"
#include "feeds/utf8_bom.h"

namespace iocgate {
namespace {

bool key_is(std::string_view text, std::string_view key, std::string_view& value) {
  if (text.size() <= key.size()) return false;
  for (size_t i = 0; i < key.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(text[i])) != key[i]) return false;
  std::string_view rest = trim_blank(text.substr(key.size()));
  if (rest.empty() || rest[0] != ':') return false;
  value = trim_blank(rest.substr(1));
  return !value.empty();
}

}  // namespace

void read_list_header(std::string_view content, ParsedFeed& feed) {
  content = strip_utf8_bom(content);
  std::string title, list_name, maintainer;
  bool first_comment = true;
  for (const TextLine& l : TextLines(content)) {
    if (l.number > 200) break;
    std::string_view line = trim_blank(l.text);
    if (line.empty()) continue;
    if (line[0] != '#' && line[0] != ';' && line[0] != '!') break;
    while (!line.empty() && (line[0] == '#' || line[0] == ';' || line[0] == '!')) line.remove_prefix(1);
    // abuse.ch draws a box: "# title      #".
    while (!line.empty() && (line.back() == '#' || line.back() == ' ')) line.remove_suffix(1);
    line = trim_blank(line);
    if (line.empty()) continue;
    std::string_view v;
    if (key_is(line, "advisory", v)) feed.advisory = feed.advisory.empty() ? std::string(v) : feed.advisory;
    else if (key_is(line, "group", v) || key_is(line, "campaign", v) || key_is(line, "threat actor", v))
      feed.group = feed.group.empty() ? std::string(v) : feed.group;
    else if (key_is(line, "title", v)) title = v;
    else if (key_is(line, "maintainer", v)) maintainer = v;
    // FireHOL opens with "#\n# <ipset name>\n#": a lone identifier.
    else if (first_comment && line.find_first_of(" :") == std::string_view::npos) list_name = line;
    else if (first_comment && title.empty()) title = line;
    first_comment = false;
  }
  if (feed.advisory.empty()) {
    if (!list_name.empty()) feed.advisory = maintainer.empty() ? list_name : list_name + " (" + maintainer + ")";
    else feed.advisory = title;
  }
}

}  // namespace iocgate

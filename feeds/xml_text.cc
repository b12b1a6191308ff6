// feeds/xml_text.cc — see xml_text.h. pugixml (Debian libpugixml-dev) never reads external
// entities or DTDs, so an XML part cannot reach outside the archive or expand a bomb.
#include "feeds/xml_text.h"

#include <cstring>
#include <vector>

#include <fmt/format.h>

namespace iocgate {

std::string xml_text(const pugi::xml_node& node, const char* text_element, const char* tab_element,
                     const char* break_element, size_t max_bytes) {
  std::string out;
  std::vector<pugi::xml_node> stack;
  for (pugi::xml_node c = node.last_child(); c; c = c.previous_sibling()) stack.push_back(c);
  while (!stack.empty() && out.size() < max_bytes) {
    pugi::xml_node n = stack.back();
    stack.pop_back();
    if (n.type() != pugi::node_element) continue;
    const char* name = n.name();
    if (std::strcmp(name, text_element) == 0) {
      out += n.text().get();
      continue;
    }
    if (tab_element && std::strcmp(name, tab_element) == 0) {
      out += '\t';
      continue;
    }
    if (break_element && std::strcmp(name, break_element) == 0) {
      out += '\n';
      continue;
    }
    for (pugi::xml_node c = n.last_child(); c; c = c.previous_sibling()) stack.push_back(c);
  }
  if (out.size() > max_bytes) out.resize(max_bytes);
  return out;
}

bool parse_xml(const std::string& xml, pugi::xml_document& doc, const std::string& part, std::string& error) {
  pugi::xml_parse_result r = doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!r) {
    error = fmt::format("{}: not well-formed XML at byte {}: {}", part, r.offset, r.description());
    return false;
  }
  return true;
}

}  // namespace iocgate

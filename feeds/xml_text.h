// feeds/xml_text.h — the text of an Office XML element: its <t>/<w:t> runs in document
// order, tabs and breaks as blanks. Iterative, so a hostile nesting depth cannot overflow
// the stack.
#pragma once

#include <string>

#include <pugixml.hpp>

namespace iocgate {

// Concatenates the text of every `text_element` below `node`; `tab_element` and
// `break_element` (may be null) become '\t' and '\n'. Stops adding at `max_bytes`.
std::string xml_text(const pugi::xml_node& node, const char* text_element, const char* tab_element,
                     const char* break_element, size_t max_bytes = 1 << 20);

// Parses `xml` (no DTD, no entity expansion beyond XML's five). False with `error`.
bool parse_xml(const std::string& xml, pugi::xml_document& doc, const std::string& part, std::string& error);

}  // namespace iocgate

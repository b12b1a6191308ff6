// feeds/list_header.h — provenance from the comment block that opens a list ('#', ';' or
// '!' lines): "advisory:", "group:"/"campaign:" keys, a FireHOL list name or a title.
#pragma once

#include <string_view>

#include "feeds/ioc.h"

namespace iocgate {

// Fills feed.advisory and feed.group when they are empty and the header names them.
// Only the leading comment block is read: comments between entries label entries.
void read_list_header(std::string_view content, ParsedFeed& feed);

}  // namespace iocgate

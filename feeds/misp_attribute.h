// feeds/misp_attribute.h — MISP attribute type/value to IoCs, shared by the MISP CSV and
// MISP JSON parsers so both export forms of one event yield the same IoCs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "feeds/ioc.h"

namespace iocgate {

// Appends the IoCs of one attribute; returns false with `error` set when the value does
// not fit its type. Sets `skip` for attribute types with nothing to enforce on the wire
// (hashes, file names, e-mail addresses, ...): the caller counts them by type.
bool misp_attribute_iocs(std::string_view type, std::string_view value, std::vector<Ioc>& out,
                         bool& skip, std::string& error);

}  // namespace iocgate

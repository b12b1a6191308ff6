// feeds/csv_line.h — splits one physical line of an abuse.ch-style CSV export: fields
// optionally quoted, separators "," or ", " (ThreatFox pads them), no field spanning lines.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace iocgate {

// Fills `fields` (unquoted, '""' unescaped, surrounding blanks trimmed). Returns false with
// `error` set on an unterminated quote or text after a closing quote.
bool split_csv_line(std::string_view line, std::vector<std::string>& fields, std::string& error);

}  // namespace iocgate

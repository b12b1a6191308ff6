// control/hunt_output.h — how iocctl shows a hunt's reply (control/hunt.h hunt_json): text for
// a terminal, CSV (one row per host and contact), JSON as received, or a printable HTML page.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace iocgate {

enum class HuntFormat { kText, kCsv, kJson, kHtml };

// nullopt-free: an unknown name gives false.
bool hunt_format_from_name(const std::string& name, HuntFormat* out);

std::string render_hunt(const nlohmann::json& hunt, HuntFormat format);

// Writes render_hunt to `out_path` ("" or "-": standard output); 0, or 1 with a message on
// standard error when the file cannot be written.
int print_hunt(const nlohmann::json& hunt, HuntFormat format, const std::string& out_path);

}  // namespace iocgate

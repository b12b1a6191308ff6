// feeds/defang.h — undoes the "defanging" analysts apply so IoCs in reports are not clickable.
// Only the conventions seen in advisories are reversed; anything else is left for validation.
#pragma once

#include <string>
#include <string_view>

namespace iocgate {

// Replaces, case-insensitively: [.] (.) {.} [dot] (dot) {dot} -> '.', [:] -> ':',
// [://] -> '://', [@] [at] -> '@', and a leading hxxp/hxxps/fxp scheme -> http/https/ftp.
std::string refang(std::string_view token);

}  // namespace iocgate

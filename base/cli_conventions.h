// base/cli_conventions.h — what every iocgate command line does alike (docs/CLI.md): --version
// from meson's project version, `help [COMMAND...]`, mistyped commands and options named with
// the closest match, exit 2 for every usage error, and the command tree as JSON for the
// generated man pages and shell completion. Header-only CLI11 plus one small object, no JSON
// or formatting library: the dataplane links it too (tests/structure/link_graph_test.sh).
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iocgate::cli {

// Every command's exit status for a command line it cannot run (unknown command or option,
// a missing or malformed value). docs/CLI.md keeps the per-command tables.
inline constexpr int kExitUsage = 2;

// meson's project version, e.g. "0.2.0".
const char* version();

// Parses argv into `app`, a fully built command tree whose program is `program`. Returns
// nothing when the program should go on, or the status to exit with now: 0 after --help,
// --version or --cli-schema; kExitUsage after a usage error, printed on stderr as
// "PROGRAM COMMAND: what is wrong" plus the closest command or option when one was mistyped
// and where to read more. Replaces CLI11_PARSE.
std::optional<int> parse(CLI::App& app, const std::string& program, int argc, char** argv);

// `PROGRAM help [COMMAND...]` means `PROGRAM COMMAND... --help`: rewrites argc/argv (into
// storage that lives as long as the process). parse() does this itself; a program that
// dispatches on argv before parse() (iocgate hands `replay` over) calls it first.
void rewrite_help(int& argc, char**& argv);

// Edit distance (optimal string alignment: a swap of two neighbours is one edit), and the
// candidate closest to `word` when it is plausibly a typo of it (at most a third of its
// length plus one edits away, or `word` begins it), else "".
size_t edit_distance(std::string_view a, std::string_view b);
std::string closest(std::string_view word, const std::vector<std::string>& candidates);

// The command tree: for each command its description, options (names, value type, choices,
// environment variable, default, whether repeatable or required), positionals and commands,
// as JSON. `PROGRAM --cli-schema` prints it; man/gen_man.py and completion/gen_completion.py
// read it at build time, so the man pages and completion cannot drift from --help.
std::string schema_json(const CLI::App& app);

}  // namespace iocgate::cli

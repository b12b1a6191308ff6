// base/cli_conventions.cc — the shared command-line behaviour of iocgate, iocctl,
// iocgate-dataplane and iocgate-replay (docs/CLI.md "Conventions").

#include "base/cli_conventions.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "base/iocgate_version.h"

namespace iocgate::cli {

namespace {

// The commands a user can name under `app`: hidden ones (empty group) are not offered.
std::vector<const CLI::App*> commands_of(const CLI::App& app) {
  std::vector<const CLI::App*> out;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); }))
    out.push_back(sub);
  return out;
}

std::string command_list(const CLI::App& app) {
  std::string out;
  for (const CLI::App* sub : commands_of(app)) out += (out.empty() ? "" : ", ") + sub->get_name();
  return out;
}

// "iocctl feed push": the program and the commands the user got to.
std::string path_of(const CLI::App& deepest, const std::string& program) {
  std::vector<std::string> names;
  for (const CLI::App* a = &deepest; a->get_parent() != nullptr; a = a->get_parent()) names.push_back(a->get_name());
  std::string out = program;
  for (auto it = names.rbegin(); it != names.rend(); ++it) out += " " + *it;
  return out;
}

// An option name as typed, without its "=value".
std::string option_word(const std::string& arg) { return arg.substr(0, arg.find('=')); }

// What went wrong, in the words of the command line the user typed.
std::string usage_message(const CLI::App& app, const CLI::ParseError& e, const std::string& program) {
  const CLI::App* deepest = &app;
  while (!deepest->get_subcommands().empty()) deepest = deepest->get_subcommands().front();
  const std::string path = path_of(*deepest, program);
  const std::string more = "\nSee '" + path + " --help'.\n";

  // A word where a command was expected: the likeliest mistake, reported before whatever
  // CLI11 noticed first (it checks required options and commands before leftover words).
  if (!commands_of(*deepest).empty()) {
    for (const std::string& word : deepest->remaining()) {
      if (word.empty() || word[0] == '-') continue;
      std::vector<std::string> names;
      for (const CLI::App* sub : commands_of(*deepest)) names.push_back(sub->get_name());
      const std::string guess = closest(word, names);
      return path + ": unknown command '" + word + "'" + (guess.empty() ? "" : "; did you mean '" + guess + "'?") +
             "\nThe commands are: " + command_list(*deepest) + "." + more;
    }
  }
  // An option the command does not know: mistyped, or one of a command before it.
  for (const CLI::App* a = deepest; a != nullptr; a = a->get_parent()) {
    for (const std::string& arg : a->remaining()) {
      if (arg.size() < 2 || arg[0] != '-' || arg == "--") continue;
      const std::string word = option_word(arg);
      for (const CLI::App* owner = a->get_parent(); owner != nullptr && a == deepest; owner = owner->get_parent())
        for (const CLI::Option* o : owner->get_options())
          if (!o->get_group().empty() && o->check_name(word))
            return path + ": '" + word + "' is an option of '" + path_of(*owner, program) +
                   "': give it before the command that follows it, e.g. " + path_of(*owner, program) + " " + word +
                   (o->get_expected_max() == 0 ? "" : " VALUE") + " " + deepest->get_name() + " ..." + more;
      std::vector<std::string> names;
      for (const CLI::Option* o : a->get_options()) {
        if (o->get_group().empty()) continue;
        for (const std::string& l : o->get_lnames()) names.push_back("--" + l);
        for (const std::string& s : o->get_snames()) names.push_back("-" + s);
      }
      const std::string guess = closest(word, names);
      const std::string where = path_of(*a, program);
      return where + ": unknown option '" + word + "'" + (guess.empty() ? "" : "; did you mean '" + guess + "'?") +
             "\nSee '" + where + " --help'.\n";
    }
  }
  if (deepest->get_require_subcommand_min() > 0 && deepest->get_subcommands().empty() &&
      e.get_name() == "RequiredError" && std::string(e.what()).find("subcommand") != std::string::npos)
    return path + ": a command is required: " + command_list(*deepest) + "." + more;
  return path + ": " + e.what() + more;
}

void json_string(std::string& out, std::string_view s) {
  out += '"';
  for (const char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void json_field(std::string& out, const char* key, std::string_view value) {
  json_string(out, key);
  out += ':';
  json_string(out, value);
  out += ',';
}

void json_bool(std::string& out, const char* key, bool value) {
  json_string(out, key);
  out += value ? ":true," : ":false,";
}

void close_object(std::string& out) {
  if (out.back() == ',') out.pop_back();
  out += '}';
}

void option_json(std::string& out, const CLI::Option& o) {
  out += '{';
  const std::string type = o.get_type_name();
  const size_t colon = type.find(':');
  json_string(out, "names");
  out += ":[";
  for (const std::string& s : o.get_snames()) {
    json_string(out, "-" + s);
    out += ',';
  }
  for (const std::string& l : o.get_lnames()) {
    json_string(out, "--" + l);
    out += ',';
  }
  if (out.back() == ',') out.pop_back();
  out += "],";
  if (o.get_positional() && !o.nonpositional()) json_field(out, "positional", o.get_name(true, false));
  json_bool(out, "flag", o.get_expected_max() == 0);
  json_field(out, "value", type.substr(0, colon));
  json_field(out, "checks", colon == std::string::npos ? "" : type.substr(colon + 1));
  // An IsMember check reads "{a,b,c}": the only values the option takes.
  json_string(out, "choices");
  out += ":[";
  if (const size_t open = type.find('{'); open != std::string::npos && type.find('}', open) != std::string::npos) {
    const std::string inner = type.substr(open + 1, type.find('}', open) - open - 1);
    size_t start = 0;
    while (start <= inner.size()) {
      const size_t comma = std::min(inner.find(',', start), inner.size());
      json_string(out, inner.substr(start, comma - start));
      out += ',';
      start = comma + 1;
    }
    out.pop_back();
  }
  out += "],";
  json_field(out, "description", o.get_description());
  json_field(out, "env", o.get_envname());
  json_field(out, "default", o.get_default_str());
  json_bool(out, "required", o.get_required());
  json_bool(out, "repeatable", o.get_items_expected_max() > 1 ||
                                   o.get_multi_option_policy() == CLI::MultiOptionPolicy::TakeAll);
  close_object(out);
}

void app_json(std::string& out, const CLI::App& app) {
  out += '{';
  json_field(out, "name", app.get_name());
  json_field(out, "description", app.get_description());
  json_bool(out, "requires_command", app.get_require_subcommand_min() > 0);
  json_string(out, "options");
  out += ":[";
  for (const CLI::Option* o : app.get_options()) {
    if (o->get_group().empty()) continue;  // hidden
    option_json(out, *o);
    out += ',';
  }
  if (out.back() == ',') out.pop_back();
  out += "],";
  json_string(out, "commands");
  out += ":[";
  for (const CLI::App* sub : commands_of(app)) {
    app_json(out, *sub);
    out += ',';
  }
  if (out.back() == ',') out.pop_back();
  out += "]";
  out += '}';
}

}  // namespace

const char* version() { return IOCGATE_VERSION; }

size_t edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment: a swap of two neighbours ("stauts") is one typo, not two.
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

std::string closest(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(1, word.size() / 3) + 1;
  for (const std::string& c : candidates) {
    // A unique-looking beginning ("stat" for status) counts as close as one typo.
    const size_t d = (word.size() >= 2 && c.rfind(word, 0) == 0) ? 1 : edit_distance(word, c);
    if (d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

void rewrite_help(int& argc, char**& argv) {
  if (argc < 2 || std::strcmp(argv[1], "help") != 0) return;
  static std::vector<std::string> words;
  static std::vector<char*> pointers;
  words.assign({argv[0]});
  for (int i = 2; i < argc; ++i) words.emplace_back(argv[i]);
  words.emplace_back("--help");
  pointers.clear();
  for (std::string& w : words) pointers.push_back(w.data());
  pointers.push_back(nullptr);
  argc = static_cast<int>(words.size());
  argv = pointers.data();
}

std::string schema_json(const CLI::App& app) {
  std::string out;
  app_json(out, app);
  // The version is the program's, not a command's: added at the top level only.
  out.insert(1, "\"version\":\"" + std::string(version()) + "\",");
  return out + "\n";
}

std::optional<int> parse(CLI::App& app, const std::string& program, int argc, char** argv) {
  app.name(program);
  app.set_version_flag("--version", program + " " + version(), "Print the version and exit");
  if (argc == 2 && std::strcmp(argv[1], "--cli-schema") == 0) {
    std::fputs(schema_json(app).c_str(), stdout);
    return 0;
  }
  // A command called "help" of its own would win; none has one.
  if (app.get_subcommands([](const CLI::App* s) { return s->get_name() == "help"; }).empty())
    rewrite_help(argc, argv);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
    std::cerr << usage_message(app, e, program) << std::flush;
    return kExitUsage;
  }
  return std::nullopt;
}

}  // namespace iocgate::cli

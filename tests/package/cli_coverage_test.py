#!/usr/bin/python3
"""tests/package/cli_coverage_test.py — the man pages and bash completion cover exactly what
the programs' --help says, and the command-line conventions of docs/CLI.md hold.

Reads every --help of every command of every program (the text an operator reads, not the
--cli-schema the generators use) and checks that each command and option appears in the
program's rendered man page, in the part about that command, and that bash completion (run
in `bash -i` with bash-completion loaded) offers it. Also: --version is meson's version on
every program and the Debian changelog's; usage errors exit 2 naming the closest command or
option; the exit codes in docs/CLI.md are the ones iocctl's code defines; every key the
config parser accepts is in iocgate.toml(5) and the example config; no message names a
config key that does not exist.

  cli_coverage_test.py SOURCE_ROOT BUILD_ROOT
"""
import json
import os
import re
import subprocess
import sys

SRC, BUILD = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(SRC, "tests", "harness"))
from iocgate_harness import Checks  # noqa: E402

check = Checks()
PROGRAMS = {
    "iocgate": os.path.join(BUILD, "control", "iocgate"),
    "iocctl": os.path.join(BUILD, "control", "iocctl"),
    "iocgate-dataplane": os.path.join(BUILD, "dataplane", "iocgate-dataplane"),
    "iocgate-replay": os.path.join(BUILD, "replay", "iocgate-replay"),
    "iocgate-setup-nics": os.path.join(BUILD, "appliance", "iocgate-setup-nics"),
}
MAN = {"iocgate": "iocgate.8", "iocctl": "iocctl.8", "iocgate-dataplane": "iocgate-dataplane.8",
       "iocgate-replay": "iocgate-replay.8", "iocgate-setup-nics": "iocgate-setup-nics.8"}


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=30, **kw)


def meson_version():
    return re.search(r"version:\s*'([^']+)'", open(os.path.join(SRC, "meson.build")).read()).group(1)


def help_sections(text):
    """{'Options': [lines], 'Subcommands': [...], ...} of a CLI11 or argparse help text."""
    sections, current = {}, None
    for line in text.split("\n"):
        m = re.match(r"^([A-Za-z][A-Za-z ]*):\s*$", line)
        if m:
            current = m.group(1).strip().lower()
            sections[current] = []
        elif current and line.startswith("  "):
            sections[current].append(line)
    return sections


def help_tree(exe, path):
    """[(command path, options, positionals, subcommands)] from --help, recursively."""
    out = run([exe] + path + ["--help"])
    if out.returncode != 0:
        raise RuntimeError(f"{exe} {' '.join(path)} --help exited {out.returncode}: {out.stderr}")
    sections = help_sections(out.stdout)
    options, positionals, commands = [], [], []
    for line in sections.get("options", []):
        m = re.match(r"^  (-[^\s]+(?:, -[^\s]+)*)", line)
        if m:
            options += [n for n in re.split(r",\s*", m.group(1)) if n.startswith("-")]
    for line in sections.get("positionals", []):
        m = re.match(r"^  ([a-z_]+) ", line)
        if m:
            positionals.append(m.group(1))
    for line in sections.get("subcommands", []):
        m = re.match(r"^  ([a-z][a-z0-9-]*)\s", line)
        if m:
            commands.append(m.group(1))
    result = [(path, options, positionals, commands)]
    for c in commands:
        result += help_tree(exe, path + [c])
    return result


def rendered_man(page):
    out = run(["man", "-l", "-P", "cat", os.path.join(BUILD, "man", page)],
              env=dict(os.environ, MANWIDTH="250", LC_ALL="C.UTF-8"))
    return out.stdout


def man_part(text, program, path):
    """The rendered text about one command: its subsection under COMMANDS, or for the program
    itself its OPTIONS and SYNOPSIS."""
    if not path:
        m = re.search(r"^OPTIONS\n(.*?)^[A-Z]", text, re.M | re.S)
        syn = re.search(r"^SYNOPSIS\n(.*?)^[A-Z]", text, re.M | re.S)
        # A page without OPTIONS (iocgate-setup-nics) shows its --help in full.
        return (m.group(1) + syn.group(1)) if m and syn else text
    heading = "   " + " ".join([program] + path) + "\n"
    start = text.find("\n" + heading)
    if start < 0:
        return None
    rest = text[start + len(heading) + 1:]
    nxt = re.search(r"^(   \S|\S)", rest, re.M)
    return rest[:nxt.start()] if nxt else rest


COMPLETE = r'''
source /usr/share/bash-completion/bash_completion
source "$1"
shift
while IFS= read -r line; do
  read -ra COMP_WORDS <<<"$line"
  [[ $line == *" " ]] && COMP_WORDS+=("")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) COMP_LINE=$line COMP_POINT=${#line}
  COMPREPLY=()
  f=$(complete -p "${COMP_WORDS[0]}" | sed -n 's/.*-F \([^ ]*\) .*/\1/p')
  "$f"
  printf '%s\t%s\n' "$line" "${COMPREPLY[*]}"
done
'''


def completions(program, lines):
    """{line: [offered words]} from bash -i with bash-completion and the built completion."""
    script = os.path.join(BUILD, "meson-private", "cli_coverage_complete.sh")
    with open(script, "w") as f:
        f.write(COMPLETE)
    out = subprocess.run(["bash", "-i", script, os.path.join(BUILD, "completion", program)],
                         input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, HOME=os.path.join(BUILD, "meson-private"), PS1=""))
    result = {}
    for l in out.stdout.split("\n"):
        if "\t" in l:
            k, v = l.split("\t", 1)
            result[k] = v.split()
    return result


# --- Every command and option of every --help: in the man page and the completion.
for program, exe in PROGRAMS.items():
    tree = help_tree(exe, [])
    text = rendered_man(MAN[program])
    lines = []
    for path, options, positionals, commands in tree:
        part = man_part(text, program, path)
        name = " ".join([program] + path)
        if part is None:
            check(f"man {MAN[program]}: a section for '{name}'", False, "missing")
            continue
        absent = [o for o in options + positionals if not re.search(r"(?<![\w-])" + re.escape(o) + r"(?![\w-])", part)]
        # -h/--help of each command is documented once, at the top of COMMANDS.
        if path and "Every command also takes -h, --help" in text:
            absent = [o for o in absent if o not in ("-h", "--help")]
        absent += [c for c in commands if not re.search(r"\b" + re.escape(" ".join([program] + path + [c])) + r"\b", text)]
        check(f"man {MAN[program]}: '{name}' documents its {len(options)} options, {len(positionals)} "
              f"positionals, {len(commands)} commands", not absent, f"missing: {absent}" if absent else "")
        lines.append(" ".join([program] + path + ["-"]))
        lines.append(" ".join([program] + path) + " ")
    offered = completions(program, lines)
    for path, options, positionals, commands in tree:
        name = " ".join([program] + path)
        got_opts = set(offered.get(name + " -", []))
        got_cmds = set(offered.get(name + " ", []))
        # A command's own options; CLI11 lists -h,--help everywhere, argparse too.
        missing = sorted(set(options) - got_opts) + sorted(set(commands) - got_cmds)
        check(f"completion {program}: '{name}' offers its options and commands", not missing,
              f"missing: {missing}" if missing else f"{len(got_opts)} options, {len(got_cmds)} commands")

# --- --version: meson's project version everywhere, and the package's.
version = meson_version()
for program, exe in PROGRAMS.items():
    out = run([exe, "--version"])
    check(f"{program} --version prints '{program} {version}'",
          out.returncode == 0 and out.stdout.strip() == f"{program} {version}", out.stdout.strip())
changelog = open(os.path.join(SRC, "debian", "changelog")).readline()
deb_version = re.match(r"^iocgate \(([^)]+)\)", changelog).group(1)
check("debian/changelog's upstream version is meson's", deb_version.split("-")[0] == version,
      f"{deb_version} vs {version}")

# --- Usage errors: exit 2, the command as typed, the closest match.
cases = [
    ([PROGRAMS["iocctl"], "frobnicate"], "iocctl: unknown command 'frobnicate'"),
    ([PROGRAMS["iocctl"], "stauts"], "did you mean 'status'?"),
    ([PROGRAMS["iocctl"], "feed", "lst"], "iocctl feed: unknown command 'lst'; did you mean 'list'?"),
    ([PROGRAMS["iocctl"], "status", "--jsn"], "iocctl status: unknown option '--jsn'; did you mean '--json'?"),
    ([PROGRAMS["iocctl"], "status", "--socket", "/x"], "'--socket' is an option of 'iocctl'"),
    ([PROGRAMS["iocctl"], "feed"], "iocctl feed: a command is required: push, list, show, remove."),
    ([PROGRAMS["iocctl"], "feed", "push", "--name", "x"], "iocctl feed push: file is required"),
    ([PROGRAMS["iocgate"], "feed", "chek", "x"], "did you mean 'check'?"),
    ([PROGRAMS["iocgate"], "frobnicate"], "iocgate: unknown command 'frobnicate'"),
    ([PROGRAMS["iocgate-dataplane"], "--conifg", "x"], "did you mean '--config'?"),
    ([PROGRAMS["iocgate-replay"], "--in", "x"], "iocgate-replay: --feed is required"),
    ([PROGRAMS["iocgate-setup-nics"], "--bogus"], "unrecognized arguments: --bogus"),
]
for argv, expect in cases:
    out = run(argv)
    shown = " ".join([os.path.basename(argv[0])] + argv[1:])
    check(f"'{shown}' exits 2: {expect}", out.returncode == 2 and expect in out.stderr,
          f"exit {out.returncode}: {out.stderr.strip().splitlines()[0] if out.stderr.strip() else ''}")
for argv in ([PROGRAMS["iocgate"], "help"], [PROGRAMS["iocctl"], "help", "feed", "push"],
             [PROGRAMS["iocgate"], "help", "replay"]):
    out = run(argv)
    shown = " ".join([os.path.basename(argv[0])] + argv[1:])
    check(f"'{shown}' prints the help, exit 0", out.returncode == 0 and "Usage:" in out.stdout, f"exit {out.returncode}")

# --- Exit codes: docs/CLI.md's iocctl table is the code's.
cli_md = open(os.path.join(SRC, "docs", "CLI.md")).read()
table = re.search(r"^### iocctl\n(.*?)^###", cli_md, re.M | re.S).group(1)
documented = sorted(int(c) for c in re.findall(r"^\| (\d+) \|", table, re.M))
code = open(os.path.join(SRC, "control", "iocctl_main.cc")).read()
defined = sorted(int(c) for c in re.findall(r"constexpr int kExit\w+ = (\d+);", code))
check("docs/CLI.md's iocctl exit codes are those iocctl_main.cc defines", documented == defined,
      f"documented {documented}, defined {defined}")
appliance_md = open(os.path.join(SRC, "docs", "APPLIANCE.md")).read()
copy = re.search(r"^## Exit codes of iocctl\n(.*?)(?:^## |\Z)", appliance_md, re.M | re.S).group(1)
rows = lambda text: [l for l in text.split("\n") if l.startswith("| ")]
check("docs/APPLIANCE.md's iocctl exit-code table is docs/CLI.md's", rows(copy) == rows(table), "")
for program in PROGRAMS:
    text = rendered_man(MAN[program])
    check(f"man {MAN[program]} has an EXIT STATUS with codes", re.search(r"^EXIT STATUS\n(.|\n)*?^       0 ", text, re.M)
          is not None, "")

# --- Config keys: as the parser accepts them, in the man page and the example.
parser = open(os.path.join(SRC, "config", "appliance_config.cc")).read()
keys = set()
for m in re.finditer(r'only\((?:root|\*t), "([a-z]*)", \{([^}]*)\}\)', parser):
    section = m.group(1)
    for k in re.findall(r'"([a-z_0-9]+)"', m.group(2)):
        if section == "" and k in ("control", "dataplane", "network", "metrics", "events", "guards", "xdp", "history"):
            continue
        keys.add((section, k))
toml5 = rendered_man("iocgate.toml.5")
example = open(os.path.join(SRC, "appliance", "iocgate.toml")).read()
missing_man, missing_example = [], []
for section, k in sorted(keys):
    where = "top level" if not section else f"[{section}]"
    part = toml5.split(f"   [{section}]\n")[1] if section else toml5.split("   Top-level keys\n")[1]
    part = re.split(r"^   \S", part, flags=re.M)[0] if section else part.split("   [")[0]
    if not re.search(rf"^       {k} = ", part, re.M):
        missing_man.append(f"{where} {k}")
    block = example.split(f"\n[{section}]\n")[1] if section else example.split("\n[")[0]
    block = block.split("\n[")[0]
    if not re.search(rf"^{k} = ", block, re.M):
        missing_example.append(f"{where} {k}")
check(f"iocgate.toml(5) documents all {len(keys)} keys the parser accepts, in their sections", not missing_man,
      f"missing: {missing_man}" if missing_man else "")
check(f"appliance/iocgate.toml sets all {len(keys)} keys", not missing_example,
      f"missing: {missing_example}" if missing_example else "")

# --- No message names a key that does not exist (the keys are [network] internal and
# [guards] max_shrink_percent; the C++ fields have other names, the texts must not).
stale = []
for top in ("feeds", "control", "config", "dataplane", "replay", "shm", "table", "base"):
    for dirpath, _, names in os.walk(os.path.join(SRC, top)):
        for n in names:
            if n.endswith((".cc", ".h")):
                for i, line in enumerate(open(os.path.join(dirpath, n), encoding="utf-8"), 1):
                    for lit in re.findall(r'"(?:[^"\\]|\\.)*"', line):
                        if re.search(r"internal_networks|max_shrink_fraction", lit):
                            stale.append(f"{os.path.relpath(os.path.join(dirpath, n), SRC)}:{i}")
check("no message names internal_networks or max_shrink_fraction", not stale, f"{stale}" if stale else "")

sys.exit(check.finish())

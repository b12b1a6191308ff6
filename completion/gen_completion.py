#!/usr/bin/python3
"""completion/gen_completion.py — writes the bash completion of one iocgate program from what
the program itself says: its command tree (`PROGRAM --cli-schema`, the CLI11 tree `--help`
prints) or, for a program without one, the options of its `--help`. Run by meson at build
time, so completion cannot drift from the binary.

usage: gen_completion.py OUT (--schema EXE [--delegate COMMAND=EXE ...] | --help-of EXE)

What is completed: every command and option; option values from their choices (`--action`,
`report --format`), the feed formats listed in `--format`'s help, files and directories for
the options that take them, and feed names (`iocctl feed show NAME`, `push --name`,
`report --feed`, `ioc add FEED`) asked of the running control process at completion time
(`iocctl feed list --json`, with the --socket/--config given on the line, two seconds at
most); when no control process answers, nothing is offered and nothing is printed.
"""
import argparse
import json
import os
import re
import subprocess
import sys

# Values that are paths or feed names, by the option or positional that takes them.
FILE_VALUES = {"--config", "--allow", "--in", "--out", "--dropped", "--output", "-o", "--socket", "file", "files"}
DIR_VALUES = {"--state-dir"}
FEED_NAME_VALUES = {"--name", "--feed", "name", "feed"}  # iocctl only: names of stored feeds


def value_kind(program, o):
    """file, dir, feed, words:<w1 w2 ...> or '' for an option's value or a positional."""
    name = o.get("positional") or o["names"][-1]
    if o["choices"]:
        return "words:" + " ".join(o["choices"])
    # A --format whose help lists the formats ("  name: what it is") takes those names.
    listed = [m.group(1) for m in re.finditer(r"^\s+([a-z0-9][a-z0-9.+-]*): ", o["description"], re.M)]
    if listed:
        return "words:" + " ".join(listed)
    if program == "iocctl" and name in FEED_NAME_VALUES:
        return "feed"
    if "FILE" in o["checks"].split(":") or name in FILE_VALUES or (name == "--feed" and program != "iocctl"):
        return "file"
    if name in DIR_VALUES:
        return "dir"
    return ""


def tables(program, tree):
    """The completion tables, keyed by command path: '@' for the program, '@ feed push'."""
    cmds, opts, takes, kinds, pos = {}, {}, {}, {}, {}
    def walk(path, cmd):
        key = " ".join(["@"] + path)
        cmds[key] = " ".join(c["name"] for c in cmd["commands"])
        named = [o for o in cmd["options"] if not o.get("positional")]
        opts[key] = " ".join(n for o in named for n in o["names"])
        takes[key] = " ".join(n for o in named if not o["flag"] for n in o["names"])
        for o in named:
            if not o["flag"]:
                for n in o["names"]:
                    kinds[key + " " + n] = value_kind(program, o)
        pos[key] = " ".join((value_kind(program, o) or "-") + ("*" if o["repeatable"] else "")
                            for o in cmd["options"] if o.get("positional"))
        for c in cmd["commands"]:
            walk(path + [c["name"]], c)
    walk([], tree)
    return cmds, opts, takes, kinds, pos


def help_tree(exe):
    """A command tree from an argparse-style --help: its options only."""
    text = subprocess.run([exe, "--help"], check=True, capture_output=True, text=True).stdout
    options = []
    for m in re.finditer(r"^  (-[^\s,]+(?:, -[^\s,]+)*)(?: ([A-Z_]+))?", text, re.M):
        names = m.group(1).split(", ")
        options.append({"names": names, "flag": m.group(2) is None, "choices": [], "description": "",
                        "checks": "", "repeatable": False})
    return {"name": os.path.basename(exe), "commands": [], "options": options}


RUNTIME = r'''
# The shared completion function of iocgate's programs (identical in each file).
# $1: the tables' prefix. Uses bash-completion's _init_completion and _filedir.
__iocgate_complete() {
  local t=$1 cur prev words cword split
  _init_completion -s || return
  local -n cmds=${t}_cmds opts=${t}_opts takes=${t}_takes kinds=${t}_kinds pos=${t}_pos
  local path=@ i w npos=0 ctl=()
  for ((i = 1; i < cword; i++)); do
    w=${words[i]}
    if [[ $w == -* ]]; then
      if [[ $w != *=* && " ${takes[$path]} " == *" $w "* ]]; then
        [[ $w == --socket || $w == --config ]] && ctl+=("$w" "${words[i + 1]}")
        ((i++))
      fi
    elif [[ -n ${cmds[$path]} && " ${cmds[$path]} " == *" $w "* ]]; then
      path="$path $w"
      npos=0
    else
      ((npos++))
    fi
  done
  local kind=""
  if [[ $cur != -* || $split == true ]] && [[ " ${takes[$path]} " == *" $prev "* ]]; then
    kind=${kinds["$path $prev"]}
  elif [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "${opts[$path]}" -- "$cur"))
    [[ ${COMPREPLY-} == *= ]] && compopt -o nospace
    return
  elif [[ -n ${cmds[$path]} ]]; then
    COMPREPLY=($(compgen -W "${cmds[$path]}" -- "$cur"))
    return
  else
    local p=(${pos[$path]}) k
    k=${p[npos]:-}
    [[ -z $k && ${#p[@]} -gt 0 && ${p[-1]} == *'*' ]] && k=${p[-1]}
    kind=${k%'*'}
    [[ $kind == - ]] && kind=""
  fi
  case $kind in
    words:*) COMPREPLY=($(compgen -W "${kind#words:}" -- "$cur")) ;;
    file) _filedir ;;
    dir) _filedir -d ;;
    feed)
      # Stored feeds, from the control process the command line would talk to; silent and
      # empty when none answers.
      local names
      names=$(timeout 2 "${words[0]}" "${ctl[@]}" feed list --json 2>/dev/null |
        sed -n 's/^      "name": "\([A-Za-z0-9_.-]*\)",\{0,1\}$/\1/p')
      COMPREPLY=($(compgen -W "$names" -- "$cur"))
      ;;
  esac
}
'''


def bash_assoc(name, table):
    lines = [f"declare -gA {name}=("]
    for k, v in sorted(table.items()):
        lines.append(f"  [{json.dumps(k)}]={json.dumps(v)}")
    lines.append(")")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--schema")
    ap.add_argument("--delegate", action="append", default=[])
    ap.add_argument("--help-of")
    args = ap.parse_args()
    if args.schema:
        tree = json.loads(subprocess.run([args.schema, "--cli-schema"], check=True, capture_output=True,
                                         text=True).stdout)
        for d in args.delegate:
            command, exe = d.split("=", 1)
            other = json.loads(subprocess.run([exe, "--cli-schema"], check=True, capture_output=True, text=True).stdout)
            for sub in tree["commands"]:
                if sub["name"] == command:
                    sub["options"], sub["commands"] = other["options"], other["commands"]
    else:
        tree = help_tree(args.help_of)
    program = os.path.basename(args.out)
    prefix = "__iocgate_" + re.sub(r"[^A-Za-z0-9]", "_", program)
    cmds, opts, takes, kinds, pos = tables(program, tree)
    source = "--cli-schema" if args.schema else "--help"
    out = [f"# bash completion for {program}; generated by completion/gen_completion.py from "
           f"`{program} {source}`, do not edit.",
           "# shellcheck shell=bash disable=SC2034,SC2207"]
    for suffix, table in (("cmds", cmds), ("opts", opts), ("takes", takes),
                          ("kinds", {k: v for k, v in kinds.items() if v}), ("pos", pos)):
        out.append(bash_assoc(f"{prefix}_{suffix}", table))
    out.append(RUNTIME.strip("\n"))
    out.append(f"_{prefix.lstrip('_')}() {{ __iocgate_complete {prefix}; }}")
    out.append(f"complete -F _{prefix.lstrip('_')} {program}")
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    sys.exit(main())

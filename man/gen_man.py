#!/usr/bin/python3
"""man/gen_man.py — writes one man page (roff) from a page source in man/ and what the
program itself says: its command tree (`PROGRAM --cli-schema`, the same CLI11 tree `--help`
prints), its `--help` text, the exit-code tables of docs/CLI.md, and for iocgate.toml(5) the
comments of appliance/iocgate.toml. Run by meson at build time, so a page cannot drift from
the binary it describes.

usage: gen_man.py SOURCE OUT [--schema EXE] [--delegate COMMAND=EXE ...] [--help-of EXE]
                  [--exit-codes CLI.md] [--config TOML] [--version V]

The page source is Markdown-like: `# SECTION`, `## Subsection`, paragraphs, `- ` bullets,
indented or fenced code blocks, `code` and **bold** (bold), *italic*; and placeholders alone
on a line:
  {{SYNOPSIS}}     one line per command, with its required options and positionals
  {{OPTIONS}}      the program's own options
  {{COMMANDS}}     every command (recursively): description, usage, options
  {{ENVIRONMENT}}  the options' environment variables
  {{EXIT STATUS}}  the docs/CLI.md tables whose heading starts with the page's name
  {{HELP}}         `EXE --help` verbatim (programs without a CLI11 tree)
  {{CONFIG}}       every key of the config file with its comment, section by section
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time


def esc(text):
    """Roff-escapes plain text: backslashes, and every hyphen as \\- (Debian's groff maps it
    to ASCII '-', so options copied from the page work)."""
    return text.replace("\\", "\\e").replace("-", "\\-")


def inline(text, markup=True):
    """Escapes text and turns `code`/**bold** into bold and *x* into italic."""
    out = esc(text)
    out = re.sub(r"`([^`]+)`", r"\\fB\1\\fR", out)
    if markup:
        out = re.sub(r"\*\*([^*]+)\*\*", r"\\fB\1\\fR", out)
        out = re.sub(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])", r"\\fI\1\\fR", out)
    return out


def line_safe(roff):
    """A text line may not start with a control character."""
    return "\n".join(("\\&" + l) if l[:1] in (".", "'") else l for l in roff.split("\n"))


class Page:
    def __init__(self):
        self.lines = []

    def req(self, request, *args):
        self.lines.append(request + "".join(" " + a for a in args))

    def text(self, roff):
        for l in roff.split("\n"):
            self.lines.append(line_safe(l))

    def render(self):
        return "\n".join(self.lines) + "\n"


def markdown(page, text):
    """The page sources' Markdown subset."""
    para, bullets, code, indented = [], False, None, False
    def flush():
        nonlocal para
        if para:
            page.text(inline(" ".join(para)))
            para = []
    for raw in text.split("\n"):
        if code is not None:
            if raw.strip().startswith("```"):
                page.req(".fi")
                page.req(".RE")
                code = None
            else:
                page.text(esc(raw))
            continue
        if raw.strip().startswith("```"):
            flush()
            page.req(".PP")
            page.req(".RS", "4")
            page.req(".nf")
            code = []
            continue
        if raw.startswith("    ") and not para and not bullets:
            if not indented:
                page.req(".PP")
                page.req(".RS", "4")
                page.req(".nf")
                indented = True
            page.text(esc(raw[4:]))
            continue
        if indented:
            page.req(".fi")
            page.req(".RE")
            indented = False
        m = re.match(r"^(#{1,2}) (.*)$", raw)
        if m:
            flush()
            bullets = False
            page.req(".SH" if len(m.group(1)) == 1 else ".SS", '"' + esc(m.group(2)) + '"')
            continue
        if not raw.strip():
            flush()
            bullets = False
            continue
        if raw.startswith("- "):
            flush()
            if not bullets:
                page.req(".PP")
            bullets = True
            page.req(".IP", "\\(bu", "2")
            para = [raw[2:].strip()]
            continue
        if not para and not bullets:
            page.req(".PP")
        para.append(raw.strip())
    flush()


def option_label(o):
    names = ", ".join("\\fB" + esc(n) + "\\fR" for n in o["names"])
    if o.get("positional"):
        return "\\fI" + esc(o["positional"]) + "\\fR" + (" ..." if o["repeatable"] else "")
    if not o["flag"]:
        names += " \\fI" + esc(o["value"] or "VALUE") + "\\fR"
    return names


def option_entry(page, o):
    page.req(".TP")
    page.text(option_label(o))
    first, *rest = o["description"].split("\n")
    notes = []
    if o["choices"]:
        notes.append("One of: " + ", ".join(o["choices"]) + ".")
    if o["default"]:
        notes.append("Default: " + o["default"] + ".")
    if o["env"]:
        notes.append("Environment: `" + o["env"] + "`.")
    if o["required"]:
        notes.append("Required.")
    if o["repeatable"] and not o.get("positional") and "repeatable" not in first:
        notes.append("Repeatable.")
    if "FILE" in o["checks"].split(":"):
        notes.append("Must be an existing file.")
    if notes and first and first[-1] not in ".:;!?":
        first += "."
    page.text(inline(" ".join([first] + notes), markup=False))
    # Lines after the first list values ("  name: what it is"): one indented entry each.
    items = [l.strip() for l in rest if l.strip()]
    if items:
        page.req(".RS")
        for item in items:
            name, sep, what = item.partition(": ")
            page.req(".TP", "16")
            page.text("\\fB" + esc(name) + "\\fR" if sep else inline(item, markup=False))
            if sep:
                page.text(inline(what, markup=False))
        page.req(".RE")


def visible_options(cmd):
    return [o for o in cmd["options"] if "--help" not in o["names"] or cmd.get("_root")]


def usage(path, cmd):
    """'iocctl feed push' [options] required options and positionals, as roff."""
    parts = ["\\fB" + esc(" ".join(path)) + "\\fR"]
    opts = [o for o in cmd["options"] if not o.get("positional")]
    required = [o for o in opts if o["required"]]
    if len(opts) > len(required):
        parts.append("[\\fIoptions\\fR]")
    for o in required:
        parts.append(option_label(o).split(", ")[-1])
    if cmd["commands"]:
        parts.append("\\fIcommand\\fR")
    for o in cmd["options"]:
        if o.get("positional"):
            label = "\\fI" + esc(o["positional"]) + "\\fR" + (" ..." if o["repeatable"] else "")
            parts.append(label if o["required"] else "[" + label + "]")
    return " ".join(parts)


def leaves(path, cmd):
    if not cmd["commands"]:
        yield path, cmd
    for sub in cmd["commands"]:
        yield from leaves(path + [sub["name"]], sub)


def program_tree(exe, delegates):
    tree = json.loads(subprocess.run([exe, "--cli-schema"], check=True, capture_output=True, text=True).stdout)
    for sub in tree["commands"]:
        if sub["name"] in delegates:
            other = json.loads(subprocess.run([delegates[sub["name"]], "--cli-schema"], check=True,
                                              capture_output=True, text=True).stdout)
            sub["options"], sub["commands"] = other["options"], other["commands"]
            sub["delegate"] = os.path.basename(delegates[sub["name"]])
    return tree


def synopsis(page, tree):
    root = [tree["name"]]
    page.req(".nf")
    if not tree["commands"]:
        page.text(usage(root, tree))
    for path, cmd in leaves(root, tree):
        if len(path) > 1:
            page.text(usage(path, cmd))
    page.text("\\fB" + esc(tree["name"]) + "\\fR \\fB\\-\\-help\\fR | \\fB\\-\\-version\\fR")
    page.req(".fi")


def options(page, tree):
    for o in tree["options"]:
        option_entry(page, o)


def commands(page, path, cmd):
    for sub in cmd["commands"]:
        sub_path = path + [sub["name"]]
        page.req(".SS", '"' + esc(" ".join(sub_path)) + '"')
        page.text(inline(sub["description"], markup=False))
        if sub.get("delegate"):
            page.req(".PP")
            page.text("The same program as \\fB" + esc(sub["delegate"]) + "\\fR(8), which this command runs.")
        page.req(".PP")
        page.text("Usage: " + usage(sub_path, sub))
        own = [o for o in sub["options"] if "--help" not in o["names"]]
        if own:
            page.req(".PP")
            page.req(".RS", "4")
            for o in own:
                option_entry(page, o)
            page.req(".RE")
        if sub["commands"]:
            page.req(".PP")
            page.text("Commands: " + ", ".join("\\fB" + esc(c["name"]) + "\\fR" for c in sub["commands"]) + ".")
        commands(page, sub_path, sub)


def environment(page, tree):
    seen = {}
    def walk(cmd):
        for o in cmd["options"]:
            if o["env"] and o["env"] not in seen:
                seen[o["env"]] = o
        for c in cmd["commands"]:
            walk(c)
    walk(tree)
    for env, o in seen.items():
        page.req(".TP")
        page.text("\\fB" + esc(env) + "\\fR")
        page.text("The default of " + ", ".join("\\fB" + esc(n) + "\\fR" for n in o["names"]) + ": " +
                  inline(o["description"].split("\n")[0], markup=False))


def exit_tables(cli_md, program):
    """{heading: [markdown lines]} for the '### PROGRAM ...' sections of docs/CLI.md."""
    sections, current = {}, None
    for line in open(cli_md, encoding="utf-8").read().split("\n"):
        m = re.match(r"^### (.*)$", line)
        if m:
            current = m.group(1).strip() if m.group(1).split()[0] == program else None
            if current:
                sections[current] = []
        elif line.startswith("## "):
            current = None
        elif current:
            sections[current].append(line)
    return sections


def exit_status(page, cli_md, program):
    sections = exit_tables(cli_md, program)
    if not sections:
        raise SystemExit(f"gen_man.py: {cli_md} has no '### {program}' exit-code table")
    for heading, lines in sections.items():
        if len(sections) > 1:
            page.req(".SS", '"' + esc(heading) + '"')
        prose = []
        for line in lines:
            row = re.match(r"^\|\s*(\d+)\s*\|\s*(.*?)\s*\|\s*$", line)
            if row:
                page.req(".TP")
                page.text("\\fB" + row.group(1) + "\\fR")
                page.text(inline(row.group(2)))
            elif not line.startswith("|"):
                prose.append(line)
        markdown(page, "\n".join(prose))


def comment_parts(lines):
    """A comment block as [(kind, text)]: "para" for running text (lines joined), "item" for
    a '- ' bullet (its indented continuation lines joined to it)."""
    parts = []
    for l in lines:
        s = l.strip()
        if not s:
            parts.append(("break", ""))
        elif s.startswith("- "):
            parts.append(("item", s[2:]))
        elif parts and parts[-1][0] == "item" and l.startswith(" "):
            parts[-1] = ("item", parts[-1][1] + " " + s)
        elif parts and parts[-1][0] == "para":
            parts[-1] = ("para", parts[-1][1] + " " + s)
        else:
            parts.append(("para", s))
    return [p for p in parts if p[0] != "break"]


def emit_parts(page, parts, in_entry):
    """Paragraphs and bullets, either at section level or inside a .TP entry's body."""
    in_list = False
    for i, (kind, text) in enumerate(parts):
        if kind == "item":
            if in_entry and not in_list:
                page.req(".RS")
            in_list = True
            page.req(".IP", "\\(bu", "2")
        else:
            if in_list and in_entry:
                page.req(".RE")
            in_list = False
            if i or not in_entry:
                page.req(".IP" if in_entry else ".PP")
        page.text(inline(text))
    if in_list and in_entry:
        page.req(".RE")


def config_page(page, toml_path):
    """Every key of the example config, in order, with the comment above it (and after it
    on its line) as its description; comments followed by a blank line are paragraphs of
    their section."""
    block, sectioned = [], False
    for raw in open(toml_path, encoding="utf-8").read().split("\n"):
        line = raw.rstrip()
        if line.startswith("#"):
            block.append(line[2:] if line[1:2] == " " else line[1:])
            continue
        if not line.strip():
            if block:
                emit_parts(page, comment_parts(block), in_entry=False)
            block = []
            continue
        m = re.match(r"^\[([a-z_]+)\]$", line)
        if m:
            sectioned = True
            page.req(".SS", '"[' + m.group(1) + ']"')
            if block:
                emit_parts(page, comment_parts(block), in_entry=False)
            block = []
            continue
        m = re.match(r"^([a-z_0-9]+)\s*=\s*(.*?)\s*(?:#\s*(.*))?$", line)
        if not m:
            raise SystemExit(f"gen_man.py: {toml_path}: cannot read line: {raw}")
        if not sectioned:
            page.req(".SS", '"Top-level keys"')
            sectioned = True
        page.req(".TP")
        page.text("\\fB" + esc(m.group(1)) + "\\fR = " + esc(m.group(2)))
        emit_parts(page, comment_parts(block + ([m.group(3)] if m.group(3) else [])), in_entry=True)
        block = []


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("source")
    ap.add_argument("out")
    ap.add_argument("--schema", help="executable whose --cli-schema is the command tree")
    ap.add_argument("--delegate", action="append", default=[], help="COMMAND=EXE: a command that runs EXE")
    ap.add_argument("--help-of", help="executable whose --help is the page's {{HELP}}")
    ap.add_argument("--exit-codes", help="docs/CLI.md")
    ap.add_argument("--config", help="the commented example config")
    ap.add_argument("--version", default="")
    args = ap.parse_args()

    base = os.path.basename(args.out)
    name, _, section = base.rpartition(".")
    delegates = dict(d.split("=", 1) for d in args.delegate)
    tree = program_tree(args.schema, delegates) if args.schema else None
    version = args.version or (tree["version"] if tree else "")
    # Reproducible: the date of the release (dpkg-buildpackage sets SOURCE_DATE_EPOCH from
    # debian/changelog), else none.
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    date = time.strftime("%Y-%m-%d", time.gmtime(int(epoch))) if epoch else ""

    page = Page()
    page.req(f'.\\" Generated by man/gen_man.py from {os.path.basename(args.source)}; do not edit.')
    page.req(".TH", '"' + esc(name.upper()) + '"', section, f'"{date}"', f'"iocgate {esc(version)}"',
             '"iocgate manual"')
    # Options and paths must not be hyphenated or stretched: they are copied from the page.
    page.req(".nh")
    page.req(".ad", "l")
    text = open(args.source, encoding="utf-8").read()
    chunks = re.split(r"^\{\{([A-Z ]+)\}\}$", text, flags=re.M)
    for i, chunk in enumerate(chunks):
        if i % 2 == 0:
            markdown(page, chunk)
            continue
        page.req(".PP")
        if chunk == "SYNOPSIS":
            synopsis(page, tree)
        elif chunk == "OPTIONS":
            options(page, tree)
        elif chunk == "COMMANDS":
            page.text("Every command also takes \\fB\\-h\\fR, \\fB\\-\\-help\\fR: its own usage and options.")
            commands(page, [tree["name"]], tree)
        elif chunk == "ENVIRONMENT":
            environment(page, tree)
        elif chunk == "EXIT STATUS":
            exit_status(page, args.exit_codes, tree["name"] if tree else name)
        elif chunk == "HELP":
            help_text = subprocess.run([args.help_of, "--help"], check=True, capture_output=True, text=True).stdout
            page.req(".nf")
            page.text(esc(help_text.rstrip("\n")))
            page.req(".fi")
        elif chunk == "CONFIG":
            config_page(page, args.config)
        else:
            raise SystemExit(f"gen_man.py: {args.source}: unknown placeholder {{{{{chunk}}}}}")
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(page.render())


if __name__ == "__main__":
    sys.exit(main())

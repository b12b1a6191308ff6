#!/usr/bin/python3
"""The HTML review report as a person gets it: built by report_sample from a generated week
of review-store lines (no DPDK), rendered by headless Chromium to a PNG and to an A4 PDF, in
English and in Vietnamese.

usage: report_pdf_test.py REPORT_SAMPLE [--keep DIR]

Checks, for each language:
  png       Chromium renders the page to a PNG.
  pdf       --print-to-pdf gives A4 landscape pages.
  values    every value the page keeps whole (numbers, addresses, IoCs, times: the spans of
            class "v") is found whole on one line of `pdftotext -layout`.
  words     every other word of the page is a whole word of the PDF text: none hyphenated or
            split ("Directi/on").
  margins   every word of the PDF lies inside the page's printable area (pdftotext -bbox):
            no table runs off the page.
  layout    in the browser, no table is wider than the page and no value spans two lines.
  content   every host, IoC and name seen of the report's JSON is in the PDF text.
Ends with "N passed, M failed"; --keep DIR leaves the PNGs and PDFs there.
"""
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

A4_LANDSCAPE = (841.89, 595.28)  # points
MARGIN_MM = 10
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"PASS: {name}")
    else:
        failed += 1
        print(f"FAIL: {name}: {detail}")


class Tokens(html.parser.HTMLParser):
    """Values (text of class "v" spans) and the other words of the page, outside SVG."""

    def __init__(self):
        super().__init__()
        self.stack = []  # (tag, is_value)
        self.values, self.words = [], []
        self.cur = None
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "wbr", "meta", "col"):
            return
        cls = dict(attrs).get("class", "") or ""
        if tag in ("svg", "style", "title", "script"):
            self.skip += 1
        is_value = "v" in cls.split()
        if is_value and self.cur is None and not self.skip:
            self.cur = ""
            self.stack.append((tag, True))
        else:
            self.stack.append((tag, False))

    def handle_endtag(self, tag):
        if tag in ("br", "wbr", "meta", "col"):
            return
        if not self.stack:
            return
        t, was_value = self.stack.pop()
        if t in ("svg", "style", "title", "script"):
            self.skip -= 1
        if was_value and self.cur is not None:
            self.values.append(self.cur)
            self.cur = None

    def handle_data(self, data):
        if self.skip:
            return
        if self.cur is not None:
            self.cur += data
        else:
            self.words += data.split()


def norm(s):
    return re.sub(r"\s+", " ", s).strip()


PUNCT = ",.;:()·—-/"


def word_key(w):
    return w.strip(PUNCT)


def chromium(work):
    return ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            f"--user-data-dir={tempfile.mkdtemp(dir=work)}"]


LAYOUT_SCRIPT = """<script>
(function () {
  const out = {tables_over: [], split_values: []};
  const page = document.body.getBoundingClientRect();
  for (const t of document.querySelectorAll('table')) {
    const r = t.getBoundingClientRect();
    if (r.right > page.right + 1 || t.scrollWidth > t.clientWidth + 1) out.tables_over.push(t.className + ' ' + Math.round(r.width));
  }
  for (const v of document.querySelectorAll('.v')) {
    if (v.getClientRects().length > 1) out.split_values.push(v.textContent);
  }
  const pre = document.createElement('pre');
  pre.id = 'layout-check';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>"""


def check_language(lang, page, report, work, keep=None, check=check):
    """All the checks of one rendered page; `check(name, ok, detail)` records each (the
    observability test passes its own)."""
    html_text = open(page, encoding="utf-8").read()
    png = os.path.join(work, f"report-{lang}.png")
    pdf = os.path.join(work, f"report-{lang}.pdf")
    subprocess.run(chromium(work) + [f"--screenshot={png}", "--window-size=1123,1588", "file://" + page],
                   capture_output=True, timeout=120)
    check(f"{lang}: png: Chromium rendered the page", os.path.exists(png) and os.path.getsize(png) > 20000,
          os.path.getsize(png) if os.path.exists(png) else "missing")
    subprocess.run(chromium(work) + ["--no-pdf-header-footer", f"--print-to-pdf={pdf}", "file://" + page],
                   capture_output=True, timeout=120)
    if not os.path.exists(pdf):
        check(f"{lang}: pdf: Chromium printed the page", False, "no PDF")
        return
    info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True).stdout
    m = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    size = (float(m.group(1)), float(m.group(2))) if m else (0, 0)
    check(f"{lang}: pdf: {pages} A4 landscape pages",
          pages >= 1 and abs(size[0] - A4_LANDSCAPE[0]) < 2 and abs(size[1] - A4_LANDSCAPE[1]) < 2, info)

    text = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", pdf, "-"], capture_output=True,
                          text=True).stdout
    lines = [norm(l) for l in text.splitlines() if l.strip()]
    tok = Tokens()
    tok.feed(html_text)
    values = sorted({norm(v) for v in tok.values if len(norm(v)) >= 2})
    missing = [v for v in values if not any(v in l for l in lines)]
    check(f"{lang}: values: {len(values)} numbers, addresses, IoCs and times each whole on one line of the PDF",
          values and not missing, missing[:10])

    pdf_words = {word_key(w) for l in lines for w in l.split()}
    words = sorted({word_key(w) for w in tok.words if len(word_key(w)) >= 2})
    missing = [w for w in words if w not in pdf_words]
    check(f"{lang}: words: {len(words)} distinct words, none split or hyphenated", words and not missing, missing[:10])

    bbox = subprocess.run(["pdftotext", "-bbox", pdf, "-"], capture_output=True, text=True).stdout
    margin = MARGIN_MM / 25.4 * 72
    boxes = [(float(a), float(b), float(c), float(d), w) for a, b, c, d, w in
             re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', bbox)]
    out = [w for x0, y0, x1, y1, w in boxes if x0 < margin - 2 or x1 > size[0] - margin + 2 or y1 > size[1]]
    check(f"{lang}: margins: all {len(boxes)} words of the PDF inside the printable area", boxes and not out, out[:10])

    probe = os.path.join(work, f"probe-{lang}.html")
    with open(probe, "w", encoding="utf-8") as f:
        f.write(html_text.replace("</body>", LAYOUT_SCRIPT + "</body>"))
    dom = subprocess.run(chromium(work) + ["--window-size=1123,1588", "--dump-dom", "file://" + probe],
                         capture_output=True, text=True, timeout=120).stdout
    m = re.search(r'<pre id="layout-check">(.*?)</pre>', dom, re.S)
    layout = json.loads(html.unescape(m.group(1))) if m else None
    check(f"{lang}: layout: no table wider than the page, no value over two lines",
          layout is not None and not layout["tables_over"] and not layout["split_values"], layout)

    flat = norm(text)
    want = set()
    for h in report["hosts"]:
        want.add(h["host"])
        for c in h["contacts"]:
            if len(c["ioc"]) <= 48:
                want.add(c["ioc"])
            if c["seen"] and len(c["seen"]) <= 48:
                want.add(c["seen"])
    missing = [w for w in sorted(want) if w not in flat]
    check(f"{lang}: content: every host, IoC and name seen ({len(want)}) is in the PDF", not missing, missing[:10])
    if lang == "vi":
        check("vi: the Vietnamese labels and dates are in the PDF",
              "Thứ tự ưu tiên xử lý máy" in flat and "Theo khuyến cáo" in flat and
              re.search(r"\b\d\d/\d\d/\d{4} \d\d:\d\d:\d\d\b", flat) is not None, flat[:400])
    if keep:
        for f in (png, pdf):
            shutil.copy(f, keep)


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    sample = sys.argv[1]
    keep = sys.argv[sys.argv.index("--keep") + 1] if "--keep" in sys.argv else None
    for tool in ("chromium", "pdftotext", "pdfinfo"):
        if shutil.which(tool) is None:
            print(f"FAIL: {tool} is not installed (scripts/ensure-deps.sh installs it)\n0 passed, 1 failed")
            sys.exit(1)
    work = tempfile.mkdtemp(prefix="iocgate-report-pdf.")
    try:
        r = subprocess.run([sample, work], capture_output=True, text=True)
        check("report_sample built the report from the store's files", r.returncode == 0, r.stderr)
        if r.returncode == 0:
            report = json.load(open(os.path.join(work, "report.json")))
            check("the sample has what a page must hold: IPv6, eight-digit counts, a long name",
                  any(":" in h["host"] for h in report["hosts"]) and report["totals"]["flows"] >= 10_000_000 and
                  any(len(c["ioc"]) > 48 for h in report["hosts"] for c in h["contacts"]))
            for lang in ("en", "vi"):
                check_language(lang, os.path.join(work, f"report-{lang}.html"), report, work, keep)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(0 if failed == 0 else 1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The browser test of a small real run (issue 12): `hopcost run` with a matrix that makes
every plot but the round-trip-time sweeps, gated, then check_page.py on its report.html
(every plot the run must have, found by its title and with marks; no console error, no
network request; a screenshot that is not blank) and on the page of `hopcost compare` of
the run against itself (both spectra on one chart). Also checks that the page carries the
gate's verdicts.

    real_run_test.py HOPCOST OUT_DIR

OUT_DIR gets the run (run/), report.png (the screenshot of report.html, the test's
artifact), compare.html and compare.png. About 25 s of run and 10 s of Chromium on 2 cores.
"""

import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CHECK = [sys.executable, os.path.join(HERE, "check_page.py")]

# The run: two topologies that differ in their number of TLS links at 2 hops (the headline
# plot), hops 1 and 2 and rates 100 and 200 (both sweeps), 2 repeats (intervals), floors
# measured (handshake against its floor), hopcost's own relays (each hop's share).
RUN_ARGS = ["--topology", "tls-everywhere,terminate-once", "--hops", "1,2", "--tls", "1.3", "--conn", "new",
            "--rate", "100,200", "--duration", "1", "--warmup", "0.3", "--repeat", "2", "--connections", "2"]
VARIANTS = 8  # 2 topologies x 2 hop counts x 2 rates

# The plots this run must have: html_plot_titles() (harness/report/html.cpp) but the two
# round-trip-time sweeps (the run has one rtt). Exactly these: a plot that appears without
# reason is as wrong as one that is missing.
TITLES = [
    "What one more TLS link costs",
    "Latency per variant: p50 and p99",
    "Latency percentile spectrum",
    "Each hop's share of the p50 and p99 request",
    "CPU per request, by node",
    "CPU per request: TLS and the rest",
    "Handshake CPU against its floor",
    "Latency against the offered rate",
    "CPU per request against the offered rate",
    "Latency against the number of hops",
    "CPU per request against the number of hops",
]
COMPARE_TITLES = ["Latency percentile spectra: A and B"]

# One budget every variant passes, one that every 2-hop variant fails: the page must show
# both verdicts, and `run --gate` then exits 1 (a failed check), report.html written all
# the same.
BUDGETS = """[[budget]]
name = "p99 under 10 s"
check = "latency_us.p99 <= 10000000"

[[budget]]
name = "a throughput no chain reaches"
hops = 2
check = "throughput_rps >= 1000000000"
"""
PASSED, FAILED = VARIANTS, VARIANTS // 2


def unescape(s):
    return s.replace("&#39;", "'").replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def plot_titles(html):
    return [unescape(t) for t in re.findall(r'<figure data-plot-title="([^"]*)"', html)]


def main():
    if len(sys.argv) != 3:
        print("usage: real_run_test.py HOPCOST OUT_DIR", file=sys.stderr)
        return 2
    hopcost, out = sys.argv[1], os.path.abspath(sys.argv[2])
    if not os.access(os.environ.get("HOPCOST_CHROMIUM", "/usr/bin/chromium"), os.X_OK):
        print("real_run_test: FAIL: /usr/bin/chromium is missing: run scripts/bootstrap (it installs Debian's chromium)")
        return 1
    shutil.rmtree(out, ignore_errors=True)
    tmp = os.path.join(out, "tmp")  # check_page.py's Chromium profiles
    os.makedirs(tmp)
    env = dict(os.environ, TMPDIR=tmp)
    failures = []

    def step(name, argv, want_rc):
        started = time.monotonic()
        p = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=150)
        text = p.stdout + p.stderr
        ok = p.returncode == want_rc
        print(f"real_run_test: {'ok  ' if ok else 'FAIL'} {name}: exit {p.returncode} (expected {want_rc}) "
              f"in {time.monotonic() - started:.1f} s")
        if not ok:
            failures.append(f"{name}: exit {p.returncode}, expected {want_rc}")
        return p, text

    budgets = os.path.join(out, "budgets.toml")
    with open(budgets, "w") as f:
        f.write(BUDGETS)
    run_dir = os.path.join(out, "run")
    p, text = step("hopcost run --gate", [hopcost, "run", "-q", *RUN_ARGS, "--gate", budgets, "--out", run_dir], 1)
    page = os.path.join(run_dir, "report.html")
    if not os.path.exists(page):
        sys.stdout.write("".join(f"    | {line}\n" for line in text.splitlines()[-40:]))
        print(f"real_run_test: FAIL: {page} was not written")
        return 1

    html = open(page, encoding="utf-8").read()
    titles = plot_titles(html)
    if sorted(titles) != sorted(TITLES):
        failures.append(f"report.html's plots are {titles}, expected {TITLES}")
    # The gate's verdicts, as the page words them (report/html.cpp, gate_section).
    gate = re.search(r'<section id="gate">(.*?)</section>', html, re.S)
    if not gate:
        failures.append("report.html has no Gate section, though the run was gated")
    else:
        g = gate.group(1)
        summary = f"{PASSED} of {PASSED + FAILED} checks passed."
        if summary not in g:
            failures.append(f"the Gate section does not say {summary!r}")
        for cls, verdict, n in (("pass", "pass", PASSED), ("fail", "FAIL", FAILED)):
            found = len(re.findall(rf'<tr class="{cls}"><td>{verdict}</td>', g))
            if found != n:
                failures.append(f"the Gate section has {found} {verdict} rows, expected {n}")
        for name in ("p99 under 10 s", "a throughput no chain reaches"):
            if name not in g:
                failures.append(f"the Gate section does not name the budget {name!r}")

    expect = [a for t in TITLES for a in ("--expect-title", t)]
    p, text = step("check_page report.html",
                   CHECK + [page, "--min-plots", str(len(TITLES)), *expect, "--screenshot", os.path.join(out, "report.png")], 0)
    sys.stdout.write(text)

    compare = os.path.join(out, "compare.html")
    p, text = step("hopcost compare --html", [hopcost, "compare", run_dir, run_dir, "--html", compare], 0)
    if p.returncode != 0:
        sys.stdout.write(text)
    if os.path.exists(compare):
        titles = plot_titles(open(compare, encoding="utf-8").read())
        if titles != COMPARE_TITLES:
            failures.append(f"compare.html's plots are {titles}, expected {COMPARE_TITLES}")
        expect = [a for t in COMPARE_TITLES for a in ("--expect-title", t)]
        p, text = step("check_page compare.html", CHECK + [compare, *expect, "--screenshot", os.path.join(out, "compare.png")], 0)
        sys.stdout.write(text)
    else:
        failures.append(f"{compare} was not written")

    if os.listdir(tmp):
        failures.append(f"temporary Chromium profiles left behind in {tmp}: {' '.join(os.listdir(tmp))}")
    else:
        os.rmdir(tmp)
    for f in failures:
        print(f"real_run_test: FAIL: {f}")
    if not failures:
        print(f"real_run_test: screenshot of the run's report: {os.path.join(out, 'report.png')}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

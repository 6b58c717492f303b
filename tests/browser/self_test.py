#!/usr/bin/env python3
"""The browser harness's own test: check_page.py passes the good fixture page and fails each
bad one with the expected line (fixtures.py), rejects bad usage with exit 2, and leaves no
Chromium process behind.

    self_test.py OUT_DIR     fixtures, their outputs and ok.png (the screenshot) go here
"""

import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
import fixtures  # noqa: E402

CHECK = [sys.executable, os.path.join(HERE, "check_page.py")]


def main():
    if len(sys.argv) != 2:
        print("usage: self_test.py OUT_DIR", file=sys.stderr)
        return 2
    out = os.path.abspath(sys.argv[1])
    # check_page.py's Chromium profiles go under here, so that a leftover process of this
    # test can be told from another test's.
    tmp = os.path.join(out, "tmp")
    os.makedirs(tmp, exist_ok=True)
    env = dict(os.environ, TMPDIR=tmp)
    if not os.access(os.environ.get("HOPCOST_CHROMIUM", "/usr/bin/chromium"), os.X_OK):
        print("self_test: FAIL: /usr/bin/chromium is missing: run scripts/bootstrap (it installs Debian's chromium)")
        return 1
    if subprocess.run([sys.executable, fixtures.__file__, out]).returncode != 0:
        print("self_test: FAIL: could not write the fixtures")
        return 1

    failures = []

    def run(name, args, want_rc, want, extra_env=None):
        """Runs check_page.py: `want` are texts that its FAIL lines (or, for exit 2, its
        message) must contain, each in one line, and every FAIL line must contain one."""
        started = time.monotonic()
        p = subprocess.run(CHECK + args, capture_output=True, text=True, env=dict(env, **(extra_env or {})),
                           timeout=120)
        text = p.stdout + p.stderr
        with open(os.path.join(out, f"{name}.out"), "w") as f:
            f.write(text)
        lines = [l for l in text.splitlines() if l.startswith("FAIL:")] if want_rc != 2 else text.splitlines()
        problems = [] if p.returncode == want_rc else [f"exit {p.returncode}, expected {want_rc}"]
        problems += [f"no line says {w!r}" for w in want if not any(w in l for l in lines)]
        problems += [f"unexpected {l!r}" for l in lines if want_rc != 2 and not any(w in l for w in want)]
        print(f"self_test: {'FAIL' if problems else 'ok  '} {name}: exit {p.returncode} in "
              f"{time.monotonic() - started:.1f} s" + "".join(f"; {x}" for x in problems))
        if problems:
            failures.append(name)
            sys.stdout.write("".join(f"    | {line}\n" for line in text.splitlines()))

    page = lambda n: os.path.join(out, f"{n}.html")  # noqa: E731
    for name, (_, expect) in fixtures.fixtures().items():
        args = [page(name)]
        if name == "ok":
            args += ["--min-plots", "2", "--expect-title", "p50 latency against hops",
                     "--expect-title", "CPU per request by node", "--screenshot", os.path.join(out, "ok.png")]
        if name == "never_rendered":
            args += ["--timeout", "3"]
        run(name, args, 1 if expect else 0, expect)
    # The good page, but asking for what it does not have.
    run("missing_title", [page("ok"), "--expect-title", "No such plot"], 1, ('no plot titled "No such plot"',))
    run("too_few_plots", [page("ok"), "--min-plots", "3"], 1, ("2 plots (elements with data-plot-title) found",))
    # Bad usage: one line, exit 2.
    run("no_such_page", [page("no-such-page")], 2, ("no such file",))
    run("no_chromium", [page("ok")], 2, ("Chromium not found at /nonexistent/chromium",),
        {"HOPCOST_CHROMIUM": "/nonexistent/chromium"})
    run("bad_screenshot_dir", [page("ok"), "--screenshot", "/nonexistent/dir/x.png"], 2, ("no such directory",))

    if os.path.exists(os.path.join(out, "ok.png")):
        print(f"self_test: screenshot of the good page: {os.path.join(out, 'ok.png')}")
    else:
        failures.append("ok.png was not written")
    # No Chromium of these runs is left: none has a profile under tmp.
    left = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace")
        except OSError:
            continue
        if tmp in cmdline:
            left.append(pid)
    if left:
        failures.append(f"Chromium processes left behind: {' '.join(left)}")
    if os.listdir(tmp):
        failures.append(f"temporary profiles left behind in {tmp}: {' '.join(os.listdir(tmp))}")
    for f in failures:
        print(f"self_test: FAIL: {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

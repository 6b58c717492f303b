#!/usr/bin/env python3
"""Opens an HTML page from file:// in headless Chromium and checks that it renders.

    check_page.py PAGE.html [--expect-title TITLE]... [--min-plots N]
                            [--screenshot FILE.png] [--timeout SECONDS]

Checks, each failure printed as one `FAIL: ...` line (exit 1 if any):
  - no console errors: console.error/console.assert, uncaught exceptions, error entries of
    the browser log, failed resource loads;
  - no request for anything but file:, data:, blob: and about: URLs;
  - the page reports that it rendered: `window.hopcostRendered = true` or
    `document.body.dataset.rendered = "ok"` once every view's runAsync() resolved, a
    string starting "error" when one failed; waited for at most --timeout seconds;
  - every plot rendered: each element with `data-plot-title` holds an <svg> whose data
    marks (Vega's `g.role-mark` groups, not axes, legends or titles) include at least one
    element with geometry; at least --min-plots of them; every --expect-title present;
  - a screenshot of the whole page that is not blank: decoded here (zlib, struct), a
    meaningful fraction of its pixels differ from its background colour.
It prints the page's size in bytes and its render time (navigation start to rendered).
Bad usage, a missing page or a missing Chromium: one line, exit 2.

Chromium is driven over the DevTools protocol on --remote-debugging-pipe (fds 3 and 4,
NUL-terminated JSON): no port, no chromedriver whose version must match, and Chromium
exits by itself if this script dies and the pipe closes. Standard library only.
"""

import argparse
import base64
import fcntl
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib

CHROMIUM = os.environ.get("HOPCOST_CHROMIUM", "/usr/bin/chromium")
ALLOWED_SCHEMES = ("file:", "data:", "blob:", "about:")
VIEWPORT = (1280, 900)
MAX_SCREENSHOT_HEIGHT = 8000  # px: a longer page is captured down to this height

# Flags for a closed network: without them Chromium's own background requests (updates,
# sync, field trials, QUIC probes) fail and clutter the log.
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--disable-breakpad",
    "--hide-scrollbars", "--mute-audio", "--remote-debugging-pipe",
    f"--window-size={VIEWPORT[0]},{VIEWPORT[1]}",
]

# Runs in the page before its own scripts: records when the page reports its state, so that
# the render time does not depend on how often this script polls.
RENDER_HOOK = """
(() => {
  const mark = () => { if (window.__hopcostStateAt === undefined) window.__hopcostStateAt = performance.now(); };
  let value;
  Object.defineProperty(window, 'hopcostRendered', {
    configurable: true, get() { return value; }, set(v) { value = v; mark(); } });
  new MutationObserver(mark).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-rendered']});
})();
"""

STATE_JS = """
(() => {
  const w = window.hopcostRendered;
  const d = document.body ? document.body.dataset.rendered : undefined;
  if (w === true || d === 'ok') return {state: 'ok', at: window.__hopcostStateAt};
  const bad = [w, d].find(v => typeof v === 'string' && v.startsWith('error'));
  if (bad !== undefined) return {state: bad, at: window.__hopcostStateAt};
  return {state: ''};
})()
"""

# For each plot: its title, whether it holds an <svg>, and how many of its data marks have
# geometry. Vega's SVG renderer puts a mark's items directly under its `g.mark-<type>`
# group, with class role-mark for data marks (role-axis-*, role-legend-*, role-title-*
# for guides); most items are <path> (line, area, rect, symbol, arc), rules are <line>,
# text is <text>.
PLOTS_JS = """
(() => Array.from(document.querySelectorAll('[data-plot-title]')).map(el => {
  const svg = el.querySelector('svg');
  let marks = 0;
  const types = {};
  if (svg) for (const g of svg.querySelectorAll('g.role-mark')) {
    const type = (Array.from(g.classList).find(c => c.startsWith('mark-')) || 'mark-?').slice(5);
    for (const item of g.children) {
      const tag = item.tagName.toLowerCase();
      if (tag === 'path' && !(item.getAttribute('d') || '').trim()) continue;
      if (tag === 'text' && !item.textContent.trim()) continue;
      if (!['path', 'rect', 'circle', 'ellipse', 'line', 'polyline', 'polygon', 'text', 'image'].includes(tag)) continue;
      const box = item.getBBox();
      if (!(box.width > 0 || box.height > 0)) continue;
      marks++;
      types[type] = (types[type] || 0) + 1;
    }
  }
  return {title: el.dataset.plotTitle, svg: !!svg, marks, types};
}))()
"""


class Failure(Exception):
    pass


class Cdp:
    """The DevTools protocol over Chromium's pipe: commands by id, events into a list."""

    def __init__(self, to_browser, from_browser):
        self.to_browser = to_browser
        self.replies = {}
        self.events = []
        self.cond = threading.Condition()
        self.next_id = 0
        self.closed = False
        self.reader = threading.Thread(target=self._read, args=(from_browser,), daemon=True)
        self.reader.start()

    def _read(self, fd):
        buf = b""
        while True:
            try:
                data = os.read(fd, 1 << 16)
            except OSError:
                data = b""
            if not data:
                break
            buf += data
            *messages, buf = buf.split(b"\0")
            with self.cond:
                for raw in messages:
                    msg = json.loads(raw)
                    if "id" in msg:
                        self.replies[msg["id"]] = msg
                    else:
                        self.events.append(msg)
                self.cond.notify_all()
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def send(self, method, params=None, session=None, timeout=10.0):
        with self.cond:
            self.next_id += 1
            id_ = self.next_id
        msg = {"id": id_, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        try:
            while data:
                data = data[os.write(self.to_browser, data):]
        except OSError as e:
            raise Failure(f"Chromium's DevTools pipe is closed ({e.strerror}) at {method}")
        deadline = time.monotonic() + timeout
        with self.cond:
            while id_ not in self.replies:
                left = deadline - time.monotonic()
                if self.closed:
                    raise Failure(f"Chromium closed the DevTools pipe during {method}")
                if left <= 0:
                    raise Failure(f"Chromium did not answer {method} within {timeout:.0f} s")
                self.cond.wait(left)
            reply = self.replies.pop(id_)
        if "error" in reply:
            raise Failure(f"{method}: {reply['error'].get('message', reply['error'])}")
        return reply.get("result", {})

    def evaluate(self, session, expression, timeout=10.0):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True},
                           session, timeout)
        if "exceptionDetails" in result:
            raise Failure(f"evaluating in the page: {describe_exception(result['exceptionDetails'])}")
        return result["result"].get("value")

    def take_events(self):
        with self.cond:
            events, self.events = self.events, []
        return events


def describe_exception(details):
    exc = details.get("exception", {})
    text = exc.get("description") or details.get("text", "exception")
    where = details.get("url", "")
    line = details.get("lineNumber")
    return f"{text.splitlines()[0]}" + (f" ({where}:{line + 1})" if where and line is not None else "")


def remote_arg(arg):
    if "value" in arg:
        return str(arg["value"])
    return arg.get("description", arg.get("type", "?"))


class PageWatch:
    """Failures and notes from the page's events: console, log, network."""

    def __init__(self):
        self.errors = []
        self.warnings = []
        self.requests = {}  # requestId -> url
        self.foreign = []

    def feed(self, events):
        for ev in events:
            method, p = ev.get("method"), ev.get("params", {})
            if method == "Runtime.consoleAPICalled":
                text = " ".join(remote_arg(a) for a in p.get("args", []))
                if p.get("type") in ("error", "assert"):
                    self.errors.append(f"console.{p['type']}: {text}")
                elif p.get("type") == "warning":
                    self.warnings.append(f"console.warn: {text}")
            elif method == "Runtime.exceptionThrown":
                self.errors.append(f"uncaught exception: {describe_exception(p.get('exceptionDetails', {}))}")
            elif method == "Log.entryAdded":
                e = p.get("entry", {})
                # Failed loads are reported once, from the Network domain.
                if e.get("level") == "error" and e.get("source") != "network":
                    url = f" ({e['url']})" if e.get("url") else ""
                    self.errors.append(f"browser log ({e.get('source', '?')}): {e.get('text', '')}{url}")
            elif method == "Network.requestWillBeSent":
                url = p.get("request", {}).get("url", "")
                self.requests[p.get("requestId")] = url
                if not url.startswith(ALLOWED_SCHEMES):
                    self.foreign.append(url)
            elif method == "Network.loadingFailed":
                if p.get("canceled"):
                    continue
                url = self.requests.get(p.get("requestId"), "?")
                self.errors.append(f"failed to load {short(url)}: {p.get('errorText', '')}")
            elif method == "Network.responseReceived":
                r = p.get("response", {})
                status = r.get("status", 0)
                if status >= 400:
                    self.errors.append(f"failed to load {short(r.get('url', '?'))}: HTTP {status}")


def short(url, n=160):
    return url if len(url) <= n else url[:n] + "..."


# ---- PNG ------------------------------------------------------------------------------

def decode_png(data):
    """Width, height, channels and the unfiltered rows of an 8-bit RGB(A)/grey PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise Failure("screenshot is not a PNG")
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    if header is None:
        raise Failure("screenshot PNG has no IHDR")
    width, height, depth, colour, _, _, interlace = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(colour)
    if depth != 8 or channels is None or interlace:
        raise Failure(f"screenshot PNG: unsupported format (depth {depth}, colour type {colour}, interlace {interlace})")
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        row = bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:  # Sub
            for i in range(channels, stride):
                row[i] = (row[i] + row[i - channels]) & 0xFF
        elif kind == 2:  # Up
            row = bytearray((a + b) & 0xFF for a, b in zip(row, prev))
        elif kind == 3:  # Average
            for i in range(stride):
                left = row[i - channels] if i >= channels else 0
                row[i] = (row[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:  # Paeth
            for i in range(stride):
                a = row[i - channels] if i >= channels else 0
                b = prev[i]
                c = prev[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        elif kind != 0:
            raise Failure(f"screenshot PNG: bad filter type {kind} in row {y}")
        rows.append(bytes(row))
        prev = row
    return width, height, channels, rows


def ink_fraction(width, height, channels, rows):
    """Fraction of pixels that differ from the background (the most common colour)."""
    counts = {}
    for row in rows:
        for x in range(0, len(row), channels):
            px = row[x:x + channels]
            counts[px] = counts.get(px, 0) + 1
    background, n = max(counts.items(), key=lambda kv: kv[1])
    return 1.0 - n / (width * height), background


# ---- main -----------------------------------------------------------------------------

def start_chromium(tmp):
    """Chromium in its own process group, on a fresh profile, its DevTools on fds 3 and 4."""
    to_chrome_r, to_chrome_w = os.pipe()
    from_chrome_r, from_chrome_w = os.pipe()

    def child_fds():
        # Chromium reads commands on fd 3 and writes replies on fd 4. Copy both ends above
        # 9 first, so that neither dup2 overwrites the other.
        a = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)
        b = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
        os.dup2(a, 3)
        os.dup2(b, 4)
        os.close(a)
        os.close(b)

    profile = os.path.join(tmp, "profile")
    os.mkdir(profile)
    with open(os.path.join(tmp, "chromium.log"), "wb") as log:
        # close_fds=False: the pipes are close-on-exec (Python's default) and fds 3 and 4
        # are made after the fork; pass_fds would need them to exist in this process.
        proc = subprocess.Popen(
            [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            preexec_fn=child_fds, close_fds=False, start_new_session=True)
    os.close(to_chrome_r)
    os.close(from_chrome_w)
    return proc, to_chrome_w, from_chrome_r


def stop_chromium(proc, cdp):
    if proc.poll() is None and cdp is not None and not cdp.closed:
        try:
            cdp.send("Browser.close", timeout=3)
        except Failure:
            pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
    # The whole process group: the launcher script, the browser, its zygote, renderers.
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def check(args, failures, notes):
    page = os.path.abspath(args.page)
    url = "file://" + page
    tmp = tempfile.mkdtemp(prefix="hopcost-chromium-")
    proc, cdp = None, None
    try:
        proc, to_fd, from_fd = start_chromium(tmp)
        cdp = Cdp(to_fd, from_fd)
        cdp.send("Browser.getVersion", timeout=30)  # Chromium is up
        target = cdp.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = cdp.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page"):
            cdp.send(f"{domain}.enable", session=session)
        cdp.send("Emulation.setDeviceMetricsOverride",
                 {"width": VIEWPORT[0], "height": VIEWPORT[1], "deviceScaleFactor": 1, "mobile": False},
                 session=session)
        cdp.send("Page.addScriptToEvaluateOnNewDocument", {"source": RENDER_HOOK}, session=session)
        watch = PageWatch()
        cdp.take_events()  # about:blank's

        nav = cdp.send("Page.navigate", {"url": url}, session=session, timeout=args.timeout)
        if nav.get("errorText"):
            raise Failure(f"navigation to {url} failed: {nav['errorText']}")

        deadline = time.monotonic() + args.timeout
        state = {"state": ""}
        while time.monotonic() < deadline:
            watch.feed(cdp.take_events())
            state = cdp.evaluate(session, STATE_JS) or {"state": ""}
            if state["state"]:
                break
            time.sleep(0.05)
        if not state["state"]:
            failures.append(f"the page did not report rendered within {args.timeout:.0f} s "
                            "(window.hopcostRendered / body data-rendered never set)")
        elif state["state"] != "ok":
            failures.append(f"the page reports: {state['state']}")
        if state.get("at") is not None:
            notes.append(f"render time: {state['at']:.0f} ms (navigation start to rendered)")

        plots = cdp.evaluate(session, PLOTS_JS) or []
        titles = {}
        for p in plots:
            titles[p["title"]] = titles.get(p["title"], 0) + 1
            kinds = ", ".join(f"{n} {t}" for t, n in sorted(p["types"].items())) or "none"
            notes.append(f'plot "{p["title"]}": {p["marks"]} marks ({kinds})')
            if not p["svg"]:
                failures.append(f'plot "{p["title"]}": no <svg> in it (not rendered by Vega\'s SVG renderer)')
            elif p["marks"] == 0:
                failures.append(f'plot "{p["title"]}": no data marks with geometry (empty plot)')
        for title, n in titles.items():
            if n > 1:
                notes.append(f'warning: {n} plots titled "{title}"')
        if len(plots) < args.min_plots:
            failures.append(f"{len(plots)} plots (elements with data-plot-title) found, expected at least {args.min_plots}")
        for title in args.expect_title:
            if title not in titles:
                failures.append(f'no plot titled "{title}"')

        # The whole page, up to MAX_SCREENSHOT_HEIGHT.
        metrics = cdp.send("Page.getLayoutMetrics", session=session)
        size = metrics.get("cssContentSize") or metrics.get("contentSize")
        width = max(1, min(int(size["width"]), 4 * VIEWPORT[0]))
        height = max(1, min(int(size["height"]), MAX_SCREENSHOT_HEIGHT))
        shot = cdp.send("Page.captureScreenshot",
                        {"format": "png", "captureBeyondViewport": True,
                         "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}},
                        session=session, timeout=60)
        png = base64.b64decode(shot["data"])
        if args.screenshot:
            with open(args.screenshot, "wb") as f:
                f.write(png)
        w, h, channels, rows = decode_png(png)
        ink, background = ink_fraction(w, h, channels, rows)
        where = args.screenshot or "(not saved)"
        notes.append(f"screenshot: {where}, {w}x{h} px, {100 * ink:.1f}% of pixels differ from the background "
                     f"(rgb{tuple(background[:3])})")
        if ink < args.min_ink:
            failures.append(f"the screenshot is blank: {100 * ink:.2f}% of pixels differ from the background, "
                            f"fewer than {100 * args.min_ink:.1f}%")

        watch.feed(cdp.take_events())
        failures.extend(dict.fromkeys(watch.errors))
        failures.extend(f"network request: {short(u)}" for u in dict.fromkeys(watch.foreign))
        notes.extend(dict.fromkeys(watch.warnings))
    finally:
        if proc is not None:
            stop_chromium(proc, cdp)
        log = os.path.join(tmp, "chromium.log")
        if failures and os.path.exists(log) and os.environ.get("HOPCOST_CHROMIUM_LOG"):
            sys.stderr.write(open(log, errors="replace").read())
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("page", help="the HTML file to open (from file://)")
    ap.add_argument("--expect-title", action="append", default=[], metavar="TITLE",
                    help="a plot with this data-plot-title must exist (repeatable)")
    ap.add_argument("--min-plots", type=int, default=1, metavar="N",
                    help="at least N plots (default 1)")
    ap.add_argument("--screenshot", metavar="FILE", help="save the page's screenshot (PNG) here")
    ap.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                    help="how long to wait for the page to report rendered (default 30)")
    ap.add_argument("--min-ink", type=float, default=0.01, metavar="FRACTION",
                    help="the fraction of screenshot pixels that must differ from the background (default 0.01)")
    args = ap.parse_args()
    if not os.path.isfile(args.page):
        print(f"check_page: {args.page}: no such file", file=sys.stderr)
        return 2
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        print(f"check_page: Chromium not found at {CHROMIUM}: run scripts/bootstrap (it installs Debian's chromium)",
              file=sys.stderr)
        return 2
    if args.screenshot and not os.path.isdir(os.path.dirname(os.path.abspath(args.screenshot))):
        print(f"check_page: --screenshot {args.screenshot}: no such directory", file=sys.stderr)
        return 2

    # A SIGTERM (ctest's timeout, a user) unwinds through check()'s cleanup.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(f"check_page: {args.page}: terminated"))
    failures, notes = [], []
    started = time.monotonic()
    try:
        check(args, failures, notes)
    except Failure as e:
        failures.append(str(e))
    print(f"check_page: {args.page}: {os.path.getsize(args.page)} bytes, checked in {time.monotonic() - started:.1f} s")
    for n in notes:
        print(f"  {n}")
    for f in failures:
        print(f"FAIL: {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

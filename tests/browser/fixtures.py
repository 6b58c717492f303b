#!/usr/bin/env python3
"""Writes the browser harness's fixture pages: self-contained pages built the way the HTML
report is (Vega-Lite specifications, compiled and rendered in the page by the vendored
runtime inlined from third_party/vega/), one that must pass check_page.py and several that
must fail it, each for one reason.

    fixtures.py OUT_DIR        writes OUT_DIR/<name>.html for every fixture below
"""

import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VEGA_DIR = os.path.join(ROOT, "third_party", "vega")

LINE = {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "title": "p50 latency against hops",
    "width": 420, "height": 220,
    "data": {"values": [{"hops": h, "p50_us": 80 + 35 * h + (20 * h if t == "tls-everywhere" else 0), "topology": t}
                        for h in range(1, 6) for t in ("tls-everywhere", "terminate-once")]},
    "mark": {"type": "line", "point": True},
    "encoding": {
        "x": {"field": "hops", "type": "quantitative", "title": "hops (links from client to origin)"},
        "y": {"field": "p50_us", "type": "quantitative", "title": "p50 latency (µs)"},
        "color": {"field": "topology", "type": "nominal", "title": "topology"},
    },
}

BAR = {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "title": "CPU per request by node",
    "width": 420, "height": 220,
    "data": {"values": [{"node": n, "part": part, "cpu_us": v}
                        for n, tls, rest in (("client", 40, 10), ("relay 1", 55, 15), ("origin", 30, 25))
                        for part, v in (("TLS", tls), ("the rest", rest))]},
    "mark": "bar",
    "encoding": {
        "x": {"field": "node", "type": "nominal", "title": "node", "sort": None},
        "y": {"field": "cpu_us", "type": "quantitative", "title": "CPU per request (µs)", "stack": "zero"},
        "color": {"field": "part", "type": "nominal", "title": "CPU spent in"},
    },
}

EMPTY_BAR = dict(BAR, title="A plot with no data", data={"values": []})

# What the report's page does: compile each specification, render it with the SVG
# renderer into its data-plot-title element, and say when every view has rendered.
RENDER = """
(async () => {
  try {
    const plots = Array.from(document.querySelectorAll('[data-plot-title]'));
    await Promise.all(plots.map(el => {
      const spec = JSON.parse(document.getElementById(el.dataset.spec).textContent);
      const view = new vega.View(vega.parse(vegaLite.compile(spec).spec));
      return view.initialize(el).renderer('svg').runAsync();
    }));
    document.body.dataset.rendered = 'ok';
  } catch (e) {
    document.body.dataset.rendered = 'error: ' + e.message;
  }
})();
"""


def page(title, specs, extra_body="", extra_script="", render=RENDER):
    runtime = "".join(
        "<script>" + open(os.path.join(VEGA_DIR, name), encoding="utf-8").read() + "</script>\n"
        for name in ("vega.min.js", "vega-lite.min.js"))
    plots = []
    for i, spec in enumerate(specs):
        data = json.dumps(spec).replace("</", "<\\/")
        plots.append(f'<section><div data-plot-title="{spec["title"]}" data-spec="spec-{i}"></div>\n'
                     f'<script type="application/json" id="spec-{i}">{data}</script></section>\n')
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>\n'
            f'<style>body {{ font-family: sans-serif; margin: 2em; background: #fff; }}</style>\n'
            f'{runtime}</head><body>\n<h1>{title}</h1>\n{"".join(plots)}{extra_body}'
            f'<script>{extra_script}{render}</script>\n</body></html>\n')


# name -> (page, the FAIL lines check_page.py must print: each listed text in one of them,
# and no FAIL line without one of them). The bad pages are the good one with one fault.
def fixtures():
    return {
        "ok": (page("Two plots", [LINE, BAR]), ()),
        "console_error": (page("A console error", [LINE, BAR], extra_script="console.error('something broke');"),
                          ("console.error: something broke",)),
        "exception": (page("An uncaught exception", [LINE, BAR],
                           extra_script="setTimeout(() => { throw new Error('thrown late'); });"),
                      ("uncaught exception: Error: thrown late",)),
        "network": (page("A network request", [LINE, BAR], extra_body='<img src="http://127.0.0.1:9/x.png" alt="">\n'),
                    ("network request: http://127.0.0.1:9/x.png", "failed to load http://127.0.0.1:9/x.png")),
        "missing_file": (page("A missing local file", [LINE, BAR], extra_body='<img src="no-such-image.png" alt="">\n'),
                         ("failed to load file://",)),
        "empty_plot": (page("An empty plot", [LINE, EMPTY_BAR]),
                       ('plot "A plot with no data": no data marks with geometry',)),
        "render_error": (page("A failed render", [LINE, dict(BAR, mark="no-such-mark")]),
                         ("the page reports: error: ", 'plot "CPU per request by node": no <svg>')),
        "never_rendered": (page("Never says it rendered", [LINE, BAR], render=""),
                           ("the page did not report rendered within", "no <svg>", "the screenshot is blank")),
        "blank": (page("", [], extra_script="document.querySelector('h1').remove();"),
                  ("0 plots (elements with data-plot-title) found", "the screenshot is blank")),
    }


def main():
    if len(sys.argv) != 2:
        print("usage: fixtures.py OUT_DIR", file=sys.stderr)
        return 2
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, (html, _) in fixtures().items():
        with open(os.path.join(out, f"{name}.html"), "w", encoding="utf-8") as f:
            f.write(html)
    return 0


if __name__ == "__main__":
    sys.exit(main())

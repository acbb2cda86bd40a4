"""Time to a drawn, stable network page in headless Chromium, for 100, 500 and 3,000 members.

For each size and mode the page is rendered in Python, served from 127.0.0.1 (every other
origin blocked) and opened in a fresh tab; the clock runs from navigation to the page's
ready flag (graph drawn and standing still). Also measured: the Python render, the page's
size, one full redraw (what panning and zooming cost) and opening the largest patient group.

Modes: ``chart`` is the default page of a network with stored actors (it opens on the org
chart; "open group" opens the largest block of patients), ``tiered`` the page of a network
without actors (identifiers, patients collapsed above ``max_nodes`` = 400), ``physics`` the
free layout (brief stabilisation, then physics off), ``all-drawn`` the tiered page with
every member drawn (no collapsing).

    .venv/bin/python bench/bench_views.py [--repeat 3] [--sizes 100 500 3000] [--modes chart]

Needs Chromium (scripts/install-browser.sh); no database.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from scalpernet.views import render_network_page
from scalpernet.views.headless import Chromium, serve_directory
from scalpernet.views.sample import sample_network

MODES = {
    "chart": {"physics": False, "max_nodes": 400},
    "tiered": {"physics": False, "max_nodes": 400},
    "physics": {"physics": True, "max_nodes": 400},
    "all-drawn": {"physics": False, "max_nodes": 1_000_000},
}
REDRAW_MS = """(() => {
  const renderer = scalpernet.network.renderer, start = performance.now();
  for (let i = 0; i < 5; i++) renderer._redraw();
  return (performance.now() - start) / 5;
})()"""
OPEN_LARGEST_GROUP_MS = """(() => {
  const data = JSON.parse(document.getElementById('scalpernet-data').textContent);
  if (data.chart) {
    const blocks = Object.keys(data.chart.blocks).filter(b => b.startsWith('pg'));
    blocks.sort((a, b) => data.chart.blocks[b].actors.length - data.chart.blocks[a].actors.length);
    const begin = performance.now();
    scalpernet.openGroup(blocks[0]);
    scalpernet.network.renderer._redraw();
    return performance.now() - begin;
  }
  const ids = Object.keys(data.groups).filter(g => data.groups[g].collapsible);
  if (!ids.length) return null;
  ids.sort((a, b) => data.groups[b].members.length - data.groups[a].members.length);
  const start = performance.now();
  scalpernet.openGroup(ids[0]);
  scalpernet.network.renderer._redraw();
  return performance.now() - start;
})()"""


def measure(browser: Chromium, folder: Path, origin: str, members: int, mode: str,
            repeat: int) -> dict[str, float | int | None]:
    network = sample_network(members, actors=mode == "chart")
    # as a served page has them: every member's hospitals, for the hospital filter
    hospitals_of = {f"{m.kind}:{m.key}": network.hospitals for m in network.members}
    start = time.perf_counter()
    page_html = render_network_page(network, masked=True, hospitals_of=hospitals_of,
                                    **MODES[mode])  # type: ignore[arg-type]
    render_ms = (time.perf_counter() - start) * 1000
    name = f"bench-{members}-{mode}.html"
    (folder / name).write_text(page_html, encoding="utf-8")
    ready, in_page, redraw, open_group, shown = [], [], [], [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        page = browser.open(f"{origin}/{name}")
        page.wait_for("window.__scalpernetReady === true", timeout=300)
        ready.append((time.perf_counter() - start) * 1000)
        in_page.append(page.evaluate("window.__scalpernetReadyAt"))
        shown = page.evaluate("scalpernet.nodes.get({filter: n => !n.hidden}).length")
        redraw.append(page.evaluate(REDRAW_MS))
        opened = page.evaluate(OPEN_LARGEST_GROUP_MS)
        if opened is not None:
            open_group.append(opened)
        if page.blocked or page.errors:
            raise SystemExit(f"{name}: blocked {page.blocked}, errors {page.errors}")
        page.close()
    return {
        "members": members, "drawn": shown, "kb": len(page_html.encode()) // 1024,
        "render_ms": render_ms, "ready_ms": statistics.median(ready),
        "in_page_ms": statistics.median(in_page), "redraw_ms": statistics.median(redraw),
        "open_group_ms": statistics.median(open_group) if open_group else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="tabs per case (median shown)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 3000])
    parser.add_argument("--modes", nargs="+", choices=list(MODES), default=list(MODES))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, serve_directory(Path(tmp)) as origin, \
            Chromium() as browser:
        print(f"{browser.version}, {args.repeat} tabs per case, medians; times in ms")
        header = (f"{'mode':<10} {'members':>7} {'drawn':>6} {'page KB':>8} {'render':>7} "
                  f"{'ready':>7} {'in-page':>8} {'redraw':>7} {'open group':>10}")
        print(header)
        print("-" * len(header))
        for mode in args.modes:
            for members in args.sizes:
                r = measure(browser, Path(tmp), origin, members, mode, args.repeat)
                group = f"{r['open_group_ms']:.0f}" if r["open_group_ms"] is not None else "-"
                print(f"{mode:<10} {r['members']:>7} {r['drawn']:>6} {r['kb']:>8} "
                      f"{r['render_ms']:>7.0f} {r['ready_ms']:>7.0f} {r['in_page_ms']:>8.0f} "
                      f"{r['redraw_ms']:>7.1f} {group:>10}", flush=True)


if __name__ == "__main__":
    main()

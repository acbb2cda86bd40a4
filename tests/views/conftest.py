"""A headless Chromium and a 127.0.0.1 site for the view tests; nothing else is reachable.

Chromium comes from ``scripts/install-browser.sh`` (or ``SCALPERNET_CHROMIUM``); without it
these tests fail with that hint rather than skip.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scalpernet.views.headless import Chromium, Page, serve_directory

#: Painted (non-transparent) pixels of the graph's canvas.
PAINTED_PIXELS = """(() => {
  const canvas = document.querySelector('#graph canvas');
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
  return painted;
})()"""

#: Where a node is on the screen (CSS pixels), from its id.
NODE_ON_SCREEN = """(id => {
  const net = scalpernet.network, at = net.canvasToDOM(net.getPositions([id])[id]);
  const box = document.getElementById('graph').getBoundingClientRect();
  return [box.left + at.x, box.top + at.y];
})"""


class Site:
    """A folder served on 127.0.0.1, and the browser that opens pages from it."""

    def __init__(self, browser: Chromium, folder: Path, origin: str) -> None:
        self.browser, self.folder, self.origin = browser, folder, origin

    def open(self, name: str, page_html: str) -> Page:
        (self.folder / name).write_text(page_html, encoding="utf-8")
        return self.browser.open(f"{self.origin}/{name}")


def wait_drawn(page: Page, timeout: float = 60.0) -> float:
    """Seconds until the page says its graph is drawn and still; fails on a blank canvas."""
    seconds = page.wait_for("window.__scalpernetReady === true", timeout=timeout)
    assert page.evaluate(PAINTED_PIXELS) > 2_000, "the graph's canvas is blank"
    return seconds


def node_on_screen(page: Page, node_id: str) -> tuple[float, float]:
    x, y = page.evaluate(f"{NODE_ON_SCREEN}({node_id!r})")
    return x, y


@pytest.fixture(scope="session")
def chromium() -> Iterator[Chromium]:
    with Chromium() as browser:
        yield browser


@pytest.fixture(scope="session")
def site(chromium: Chromium, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("site")
    with serve_directory(folder) as origin:
        yield Site(chromium, folder, origin)

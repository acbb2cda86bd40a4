"""The app on a real socket for the browser tests, and a browser signed in to it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from scalpernet.api import create_app
from scalpernet.views.headless import Chromium, Page
from tests.api.conftest import ROOMY, api_settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve_app(data_dir: Path) -> Iterator[str]:
    """The app on 127.0.0.1 (uvicorn in a thread) with the files of `data_dir` (audit log,
    reference secret): a browser reaches it, and nothing else."""
    app = create_app(api_settings(data_dir), key_cache_ttl=0, run_cache_ttl=0, limits=ROOMY)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started, "the app did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def signed_in(browser: Chromium, origin: str, key: str) -> Page:
    """A tab signed in with `key`, on the overview."""
    page = browser.open(f"{origin}/ui/login")
    page.wait_for("!!document.querySelector('input[name=key]')", timeout=20)
    page.evaluate(f"document.querySelector('input[name=key]').value = {key!r}; "
                  "document.querySelector('form').submit()")
    page.wait_for("location.pathname === '/ui/networks' && document.readyState === 'complete'",
                  timeout=20)
    return page


def loaded(page: Page, path: str, timeout: float = 30.0) -> None:
    """Wait until the tab shows `path`, fully loaded."""
    page.wait_for(f"location.pathname === {path!r} && document.readyState === 'complete'",
                  timeout=timeout)

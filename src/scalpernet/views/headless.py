"""Open a page in headless Chromium with the network cut off, and see what it drew.

The tests and the benchmark use this to prove a page works on an intranet without internet:
the page is served from 127.0.0.1, every request to any other origin is failed and recorded
(Chrome DevTools Protocol ``Fetch`` interception), and host names do not resolve at all.

Chromium is driven over ``--remote-debugging-pipe`` (JSON messages separated by NUL bytes on
file descriptors 3 and 4), so nothing beyond the standard library and the browser is needed.
``scripts/install-browser.sh`` installs Debian's ``chromium``; ``SCALPERNET_CHROMIUM`` names
another binary.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from scalpernet.errors import ScalperNetError

#: Flags that keep Chromium from calling home, plus DNS that resolves nothing but loopback.
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--disable-default-apps", "--disable-breakpad",
    "--disable-domain-reliability", "--metrics-recording-only", "--mute-audio",
    "--no-default-browser-check", "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
)


_TRAMPOLINE = (
    "import os, sys\n"
    "r, w = int(sys.argv[1]), int(sys.argv[2])\n"
    "os.dup2(r, 3); os.dup2(w, 4); os.close(r); os.close(w)\n"
    "os.execv(sys.argv[3], sys.argv[3:])\n"
)


def find_chromium() -> str:
    """The Chromium binary: ``SCALPERNET_CHROMIUM``, else the first one on the PATH."""
    named = os.environ.get("SCALPERNET_CHROMIUM")
    if named:
        return named
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    raise ScalperNetError("no Chromium found: run scripts/install-browser.sh "
                          "or set SCALPERNET_CHROMIUM")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve_directory(directory: Path) -> Iterator[str]:
    """Serve `directory` on 127.0.0.1 (a free port) and yield its origin ``http://…:port``."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class BrowserError(ScalperNetError):
    """Chromium failed, or a page did not do what was awaited in time."""


class Page:
    """One tab, attached over CDP, whose requests outside `origin` are failed and recorded."""

    def __init__(self, browser: Chromium, target: str, session: str, origin: str) -> None:
        self._browser = browser
        self.target = target
        self.session = session
        self.origin = origin
        #: Every URL the page asked for, in order, and those failed for leaving the origin.
        self.requests: list[str] = []
        self.blocked: list[str] = []
        #: Uncaught exceptions, console errors and CSP reports.
        self.errors: list[str] = []
        #: Messages of alert/confirm/prompt dialogs the page opened (each dismissed).
        self.dialogs: list[str] = []
        #: Requests that failed, with why: "csp", "inspector" (blocked here), or an error.
        self.failed: list[tuple[str, str]] = []
        self._urls: dict[str, str] = {}

    def send(self, method: str, params: dict[str, Any] | None = None,
             timeout: float = 30.0) -> dict[str, Any]:
        return self._browser.send(method, params, session=self.session, timeout=timeout)

    def _on_event(self, method: str, params: dict[str, Any]) -> None:
        if method == "Fetch.requestPaused":
            url = params["request"]["url"]
            if url == self.origin or url.startswith(self.origin + "/"):
                self._browser.post("Fetch.continueRequest",
                                   {"requestId": params["requestId"]}, self.session)
            else:
                self.blocked.append(url)
                self._browser.post("Fetch.failRequest", {"requestId": params["requestId"],
                                   "errorReason": "BlockedByClient"}, self.session)
        elif method == "Page.javascriptDialogOpening":
            self.dialogs.append(params.get("message", ""))
            self._browser.post("Page.handleJavaScriptDialog", {"accept": False}, self.session)
        elif method == "Network.requestWillBeSent":
            self.requests.append(params["request"]["url"])
            self._urls[params["requestId"]] = params["request"]["url"]
        elif method == "Network.loadingFailed":
            self.failed.append((self._urls.get(params["requestId"], "?"),
                                params.get("blockedReason") or params.get("errorText", "")))
        elif method == "Network.webSocketCreated":
            self.requests.append(params["url"])
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            self.errors.append(details.get("exception", {}).get("description")
                               or details.get("text", "exception"))
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            self.errors.append(" ".join(str(a.get("value", a.get("description", "")))
                                        for a in params.get("args", [])))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            self.errors.append(params["entry"].get("text", ""))

    def navigate(self, url: str) -> None:
        self.send("Page.navigate", {"url": url})

    def evaluate(self, expression: str, timeout: float = 30.0) -> Any:
        """The value of a JavaScript expression (awaited if it is a promise)."""
        reply = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                               "awaitPromise": True}, timeout=timeout)
        if "exceptionDetails" in reply:
            raise BrowserError(f"page script failed: {reply['exceptionDetails'].get('text')}: "
                               f"{reply['exceptionDetails'].get('exception', {})}")
        return reply["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30.0) -> float:
        """Seconds until `expression` is truthy; BrowserError after `timeout`."""
        start = time.perf_counter()
        while True:
            if self.evaluate(expression):
                return time.perf_counter() - start
            if time.perf_counter() - start > timeout:
                raise BrowserError(f"timed out after {timeout:.0f} s waiting for {expression}"
                                   + (f"; page errors: {self.errors}" if self.errors else ""))
            time.sleep(0.02)

    def _mouse(self, kind: str, x: float, y: float, **extra: Any) -> None:
        self.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, **extra})

    def hover(self, x: float, y: float) -> None:
        self._mouse("mouseMoved", x - 3, y - 3)
        self._mouse("mouseMoved", x, y)

    def click(self, x: float, y: float) -> None:
        self.hover(x, y)
        self._mouse("mousePressed", x, y, button="left", clickCount=1)
        self._mouse("mouseReleased", x, y, button="left", clickCount=1)

    def close(self) -> None:
        """Close the tab."""
        self._browser.send("Target.closeTarget", {"targetId": self.target})

    def allow_downloads(self, folder: Path) -> None:
        """Save what pages download (an attachment link followed) in `folder`."""
        self._browser.send("Browser.setDownloadBehavior", {
            "behavior": "allow", "downloadPath": str(folder), "eventsEnabled": True})

    def wait_download(self, folder: Path, suffix: str, timeout: float = 60.0) -> Path:
        """The file ending in `suffix` once Chromium has finished saving it in `folder`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = [p for p in folder.iterdir() if p.name.endswith(suffix)]
            if done:
                return done[0]
            time.sleep(0.1)
        raise BrowserError(f"no {suffix} file downloaded within {timeout:.0f} s"
                           + (f"; page errors: {self.errors}" if self.errors else ""))

    def screenshot(self, path: Path) -> None:
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        path.write_bytes(base64.b64decode(data))


class Chromium:
    """A headless Chromium driven over a DevTools pipe; use as a context manager."""

    def __init__(self, executable: str | None = None, *, width: int = 1400,
                 height: int = 900) -> None:
        self.executable = executable or find_chromium()
        self.width, self.height = width, height
        self._profile = tempfile.TemporaryDirectory(prefix="scalpernet-chromium-")
        self._lock = threading.Lock()
        self._next_id = 0
        self._waiting: dict[int, tuple[threading.Event, list[dict[str, Any]]]] = {}
        self._pages: dict[str, Page] = {}
        self._closed = False
        self._start()

    def _start(self) -> None:
        to_browser_r, to_browser_w = os.pipe()
        from_browser_r, from_browser_w = os.pipe()
        # The browser expects the pipe on descriptors 3 (it reads) and 4 (it writes); a small
        # Python trampoline moves it there (preexec_fn is unsafe in a process with threads).
        high_r = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
        high_w = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
        args = [sys.executable, "-c", _TRAMPOLINE, str(high_r), str(high_w), self.executable,
                *CHROMIUM_FLAGS, "--remote-debugging-pipe",
                f"--user-data-dir={self._profile.name}",
                f"--window-size={self.width},{self.height}", "about:blank"]
        self._process = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, pass_fds=(high_r, high_w))
        for fd in (to_browser_r, from_browser_w, high_r, high_w):
            os.close(fd)
        self._out = to_browser_w
        self._in = from_browser_r
        self._stderr: list[bytes] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        try:
            self.version = self.send("Browser.getVersion", timeout=60)["product"]
        except BrowserError:
            self.close()
            raise

    def _drain_stderr(self) -> None:
        assert self._process.stderr is not None
        for line in self._process.stderr:
            self._stderr.append(line)
            del self._stderr[:-50]

    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = os.read(self._in, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                break
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for raw in messages:
                self._dispatch(json.loads(raw))
        self._closed = True
        for event, _ in list(self._waiting.values()):
            event.set()

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "id" in message:
            waiting = self._waiting.pop(message["id"], None)
            if waiting is not None:
                waiting[1].append(message)
                waiting[0].set()
            return
        page = self._pages.get(message.get("sessionId", ""))
        if page is not None:
            page._on_event(message["method"], message.get("params", {}))

    def _write(self, method: str, params: dict[str, Any] | None, session: str | None,
               waiter: tuple[threading.Event, list[dict[str, Any]]] | None = None) -> int:
        with self._lock:
            self._next_id += 1
            message: dict[str, Any] = {"id": self._next_id, "method": method,
                                       "params": params or {}}
            if session:
                message["sessionId"] = session
            if waiter is not None:
                self._waiting[self._next_id] = waiter
            os.write(self._out, json.dumps(message).encode() + b"\0")
            return self._next_id

    def post(self, method: str, params: dict[str, Any] | None = None,
             session: str | None = None) -> None:
        """Send a command without waiting for its answer."""
        self._write(method, params, session)

    def send(self, method: str, params: dict[str, Any] | None = None, *,
             session: str | None = None, timeout: float = 30.0) -> dict[str, Any]:
        """Send a command and return its result; BrowserError on an error or no answer."""
        if self._closed:
            raise BrowserError(f"Chromium has exited: {self._last_words()}")
        event = threading.Event()
        reply: list[dict[str, Any]] = []
        message_id = self._write(method, params, session, (event, reply))
        if not event.wait(timeout) or not reply:
            self._waiting.pop(message_id, None)
            raise BrowserError(f"no answer to {method} within {timeout:.0f} s"
                               + (f": {self._last_words()}" if self._closed else ""))
        if "error" in reply[0]:
            raise BrowserError(f"{method} failed: {reply[0]['error'].get('message')}")
        return reply[0].get("result", {})

    def _last_words(self) -> str:
        return b"".join(self._stderr[-5:]).decode(errors="replace").strip() or "no output"

    def open(self, url: str) -> Page:
        """A new tab with interception on, navigated to `url`; only its origin is let through."""
        origin = "/".join(url.split("/", 3)[:3])
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget",
                            {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, target, session, origin)
        self._pages[session] = page
        page.send("Fetch.enable", {"patterns": [{"urlPattern": "*"}]})
        for domain in ("Network", "Page", "Runtime", "Log"):
            page.send(f"{domain}.enable")
        page.send("Emulation.setDeviceMetricsOverride", {
            "width": self.width, "height": self.height, "deviceScaleFactor": 1,
            "mobile": False})
        page.navigate(url)
        return page

    def close(self) -> None:
        if self._process.poll() is None:
            with contextlib.suppress(BrowserError, OSError):
                self.post("Browser.close")
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        with contextlib.suppress(OSError):
            os.close(self._out)
        self._profile.cleanup()

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

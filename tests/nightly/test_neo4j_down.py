"""Neo4j stopped at pass time: the pass fails cleanly, files stay, the next pass succeeds;
Neo4j away for a moment: the pass waits for it under the one retry policy and goes on."""

from __future__ import annotations

import contextlib
import logging
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest

from scalpernet.config import get_settings
from scalpernet.graph import Graph, session
from scalpernet.graph.session import close_graph
from scalpernet.ingest.runs import recent_runs
from scalpernet.localserver import LocalServer
from scalpernet.nightly import ledger, run_pass
from tests.ingest.exports import write_export
from tests.nightly.conftest import Drop


def test_a_pass_with_neo4j_stopped_fails_cleanly_and_the_next_one_succeeds(
        empty_graph: Graph, drop: Drop) -> None:
    write_export(drop.dir / "a.csv", 10, prefix="Z")
    before = drop.files()
    server = LocalServer(get_settings())
    assert server.stop()
    try:
        failed = run_pass(drop.settings)
        assert (failed.record.status, failed.exit_code) == ("failed", 1)
        assert "unavailable after 3 tries" in failed.record.error
        assert failed.recorded_in == str(ledger.local_log(drop.settings.data_dir))
        assert set(drop.files()) == set(before)  # left for the next night

        cli = subprocess.run([sys.executable, "-m", "scalpernet", "nightly", "--once"],
                             env=drop.env, capture_output=True, text=True, timeout=120)
        assert cli.returncode == 1
        [line] = cli.stderr.strip().splitlines()
        assert line.startswith("error: nightly pass nightly-") and "failed: Neo4j at" in line

        listed = subprocess.run([sys.executable, "-m", "scalpernet", "runs"], env=drop.env,
                                capture_output=True, text=True, timeout=120)
        assert listed.returncode == 1 and "local log" in listed.stderr
        assert failed.record.id in listed.stdout and "[local log only]" in listed.stdout
        assert len(ledger.read_local(ledger.local_log(drop.settings.data_dir))) == 2
    finally:
        server.start()

    ok = run_pass(drop.settings)
    assert (ok.record.status, ok.recorded_in) == ("complete", "neo4j")
    assert [f["outcome"] for f in ok.record.files] == ["ingested"]
    assert [r["status"] for r in recent_runs(empty_graph, limit=5)] == ["complete"]
    stored = {p["id"]: p for p in ledger.recent_passes(empty_graph, drop.dir / "none")}
    assert stored[failed.record.id]["status"] == "failed"  # imported from the local log
    assert stored[failed.record.id]["recorded_in"] == "neo4j"
    assert stored[ok.record.id]["status"] == "complete"


class _LateProxy:
    """A port that refuses connections (a server away) until ``opens`` is set, then
    forwards each one to ``target``."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.opens = threading.Event()
        self.closed = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self._spawn(self._serve)

    def stop(self) -> None:
        self.opens.set()
        self.closed.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _serve(self) -> None:
        self.opens.wait()
        with socket.create_server(("127.0.0.1", self.port)) as listener:
            listener.settimeout(0.2)
            while not self.closed.is_set():
                try:
                    client, _ = listener.accept()
                except TimeoutError:
                    continue
                upstream = socket.create_connection(self.target)
                for a, b in ((client, upstream), (upstream, client)):
                    self._spawn(self._pump, a, b)

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        src.settimeout(0.2)
        try:
            while not self.closed.is_set():
                try:
                    data = src.recv(65536)
                except TimeoutError:
                    continue
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for end in (src, dst):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()


def test_a_pass_waits_under_the_retry_policy_for_neo4j_away_a_moment(
        empty_graph: Graph, drop: Drop, caplog: pytest.LogCaptureFixture) -> None:
    """The pass reaches Neo4j through the one policy (its warning, once per wait) with
    the pass's waits, not the process's, and ingests once the server answers."""
    write_export(drop.dir / "a.csv", 5, prefix="Y")
    base = get_settings()
    real = urlsplit(base.uri)
    proxy = _LateProxy((real.hostname or "127.0.0.1", real.port or 7687))
    uri = f"bolt://127.0.0.1:{proxy.port}"
    env = pytest.MonkeyPatch()
    suite_graph = session._graph
    session._graph = None  # the pass's process graph: through the proxy
    env.setenv("NEO4J_URI", uri)
    if base.password is not None:  # a named server: its password must be named too
        env.setenv("NEO4J_PASSWORD", base.password)
    env.setenv("SCALPERNET_NEO4J_RETRY_WAITS", "")  # the process's own waits: no retry
    get_settings.cache_clear()
    caplog.set_level(logging.WARNING, logger="scalpernet.graph.session")
    settings = drop.settings.model_copy(update={"neo4j_uri": uri,
                                                "nightly_retry_waits": (0.4, 0.8, 1.6, 3.2)})
    proxy.start()
    opener = threading.Timer(1.0, proxy.opens.set)  # away for the first tries, then back
    opener.start()
    started = time.monotonic()
    try:
        outcome = run_pass(settings)
    finally:
        opener.cancel()
        close_graph()
        proxy.stop()
        env.undo()
        get_settings.cache_clear()
        session._graph = suite_graph
    assert (outcome.record.status, outcome.recorded_in) == ("complete", "neo4j"), \
        outcome.record.error
    assert [f["outcome"] for f in outcome.record.files] == ["ingested"]
    assert time.monotonic() - started >= 1.0  # it did wait for the server
    waits = [r.getMessage() for r in caplog.records if r.name == "scalpernet.graph.session"
             and "Neo4j unavailable" in r.getMessage()]
    assert 1 <= len(waits) <= 3 and "try 2 again in 0.4 s" in waits[0], waits
    assert [r["status"] for r in recent_runs(empty_graph, limit=5)] == ["complete"]

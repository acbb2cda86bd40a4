"""The local Neo4j server: start/stop/status/reset, refusals, external NEO4J_URI."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from neo4j import GraphDatabase

from scalpernet.config import Settings
from scalpernet.errors import ServerError
from scalpernet.localserver import LocalServer


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scalpernet", *args], capture_output=True,
                          text=True, env=env, timeout=300, check=False)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    env.update(extra)
    return env


@pytest.mark.server
def test_start_status_stop_cycle(tmp_path: Path) -> None:
    port = _free_port()
    env = _env(SCALPERNET_DATA_DIR=str(tmp_path), SCALPERNET_BOLT_PORT=str(port))
    try:
        started = _cli("db", "start", env=env)
        assert started.returncode == 0, started.stderr
        assert "5.26." in started.stdout and "community" in started.stdout
        pid_file = tmp_path / "neo4j" / "run" / "scalpernet-neo4j.pid"
        pid = pid_file.read_text().strip()

        again = _cli("db", "start", env=env)  # idempotent: same process
        assert again.returncode == 0 and pid_file.read_text().strip() == pid

        settings = Settings(SCALPERNET_DATA_DIR=tmp_path, SCALPERNET_BOLT_PORT=port)
        assert settings.password and (tmp_path / "neo4j" / "password").stat().st_mode & 0o077 == 0
        # generated as hex: a leading "-" would be read as an option by the admin tool
        assert len(settings.password) == 32 and int(settings.password, 16) >= 0
        with GraphDatabase.driver(settings.uri, auth=("neo4j", settings.password)) as driver:
            records, _, _ = driver.execute_query("RETURN 1 AS one", database_="neo4j")
            assert records[0]["one"] == 1
            driver.execute_query("CREATE (:Probe {v: 1})", database_="neo4j")

        status = _cli("db", "status", env=env)
        assert status.returncode == 0 and "running" in status.stdout

        reset = _cli("db", "reset", "--yes", env=env)
        assert reset.returncode == 0 and "1 nodes deleted" in reset.stdout
        refused = _cli("db", "reset", env=env)
        assert refused.returncode == 1 and "--yes" in refused.stderr
    finally:
        stopped = _cli("db", "stop", env=env)
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    after = _cli("db", "status", env=env)
    assert after.returncode == 1 and "not running" in after.stdout
    assert _cli("db", "stop", env=env).stdout.strip() == "Neo4j was not running"


def test_start_refuses_a_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        server = LocalServer(Settings(SCALPERNET_DATA_DIR=tmp_path, SCALPERNET_BOLT_PORT=port))
        with pytest.raises(ServerError, match=f"port {port} .* already in use"):
            server.start()


def test_start_refuses_without_java(tmp_path: Path) -> None:
    env = _env(SCALPERNET_DATA_DIR=str(tmp_path), SCALPERNET_BOLT_PORT=str(_free_port()),
               PATH=str(Path(sys.executable).parent))
    env.pop("JAVA_HOME", None)
    done = _cli("db", "start", env=env)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Java 17+ not found" in lines[0]


def test_external_uri_is_honoured_and_nothing_is_started(tmp_path: Path, graph) -> None:
    settings = graph.settings
    env = _env(SCALPERNET_DATA_DIR=str(tmp_path), NEO4J_URI=settings.uri,
               NEO4J_PASSWORD=settings.password or "")
    done = _cli("db", "start", env=env)
    assert done.returncode == 0, done.stderr
    assert "external server" in done.stdout
    assert not (tmp_path / "neo4j").exists()  # no local server files, no process
    assert "not stopping an external server" in _cli("db", "stop", env=env).stdout


def test_external_uri_down_fails_cleanly(tmp_path: Path) -> None:
    env = _env(SCALPERNET_DATA_DIR=str(tmp_path),
               NEO4J_URI=f"bolt://127.0.0.1:{_free_port()}", NEO4J_PASSWORD="x")
    done = _cli("db", "start", env=env)
    assert done.returncode == 1
    assert done.stderr.startswith("error: NEO4J_URI is set but")
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "neo4j").exists()

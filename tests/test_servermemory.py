"""The local server's memory: neo4j-admin's advice for half the machine, unless overridden."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from scalpernet import servermemory
from scalpernet.config import Settings
from scalpernet.errors import ServerError
from scalpernet.localserver import LocalServer
from scalpernet.servermemory import budget, resolve

GIB = 2**30


def _settings(tmp_path: Path, **env: str) -> Settings:
    return Settings(SCALPERNET_DATA_DIR=tmp_path, SCALPERNET_NEO4J_HEAP=env.get("heap"),
                    SCALPERNET_NEO4J_PAGECACHE=env.get("pagecache"))


def _advice(server: LocalServer, memory: str) -> dict[str, str]:
    conf = server.home / "advice-conf"
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "neo4j.conf").touch()
    done = server.admin(["server", "memory-recommendation", f"--memory={memory}"], conf)
    return dict(line.removeprefix("server.memory.").split("=", 1)
                for line in done.stdout.splitlines() if line.startswith("server.memory."))


def _refuse(args: list[str], conf: Path) -> subprocess.CompletedProcess[str]:
    raise AssertionError(f"neo4j-admin was run: {args}")


def test_half_the_machine_goes_by_the_tools_advice_and_is_asked_once(tmp_path: Path) -> None:
    server = LocalServer(_settings(tmp_path))
    server.fetch()
    chosen = resolve(server.settings, server.admin, total=8 * GIB)
    advice = _advice(server, "4096m")  # the tool itself, for half of 8 GiB
    assert (chosen.heap, chosen.pagecache) == (advice["heap.max_size"], advice["pagecache.size"])
    assert chosen.source == "recommended for 4.0 GiB of 8.0 GiB"
    assert (tmp_path / "neo4j" / "memory.json").exists()
    # kept: the same budget does not start the tool again; another budget does
    assert resolve(server.settings, _refuse, total=8 * GIB) == chosen
    with pytest.raises(AssertionError, match="neo4j-admin was run"):
        resolve(server.settings, _refuse, total=16 * GIB)
    bigger = resolve(server.settings, server.admin, total=16 * GIB)
    assert bigger.heap != chosen.heap or bigger.pagecache != chosen.pagecache


def test_settings_override_each_figure(tmp_path: Path) -> None:
    both = resolve(_settings(tmp_path, heap="3g", pagecache="2g"), _refuse, total=8 * GIB)
    assert (both.heap, both.pagecache) == ("3g", "2g")
    assert not (tmp_path / "neo4j" / "memory.json").exists()
    server = LocalServer(_settings(tmp_path, heap="3g"))
    server.fetch()
    one = resolve(server.settings, server.admin, total=8 * GIB)
    assert one.heap == "3g" and one.pagecache == _advice(server, "4096m")["pagecache.size"]
    assert one.source.endswith(", SCALPERNET_NEO4J_HEAP")


def test_a_failing_tool_is_one_line_naming_the_settings(tmp_path: Path) -> None:
    def broken(args: list[str], conf: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(args, 1, "", "Error: something\nat Foo.bar\n")

    with pytest.raises(ServerError) as info:
        resolve(_settings(tmp_path), broken, total=8 * GIB)
    message = str(info.value)
    assert "\n" not in message and "SCALPERNET_NEO4J_HEAP" in message


def test_budget_is_half_in_whole_mib() -> None:
    assert budget(8 * GIB) == 4 * GIB
    assert budget(8 * GIB + 12345) % 2**20 == 0


def test_machine_memory_is_the_machines_or_less() -> None:
    import os

    assert 0 < servermemory.machine_memory() <= os.sysconf("SC_PAGE_SIZE") * os.sysconf(
        "SC_PHYS_PAGES")


@pytest.mark.server
def test_the_server_runs_with_the_chosen_memory(tmp_path: Path, monkeypatch) -> None:
    """Nothing set: the JVM's heap and the page cache in neo4j.conf are the advice's."""
    monkeypatch.setattr(servermemory, "machine_memory", lambda: 4 * GIB)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = Settings(SCALPERNET_DATA_DIR=tmp_path, SCALPERNET_BOLT_PORT=port,
                        SCALPERNET_NEO4J_HEAP=None, SCALPERNET_NEO4J_PAGECACHE=None)
    server = LocalServer(settings)
    try:
        status = server.start()
        memory = server.memory
        advice = _advice(server, "2048m")
        assert (memory.heap, memory.pagecache) == (advice["heap.max_size"],
                                                   advice["pagecache.size"])
        cmdline = Path(f"/proc/{status.pid}/cmdline").read_bytes().split(b"\0")
        assert f"-Xmx{memory.heap}".encode() in cmdline
        conf = (tmp_path / "neo4j" / "conf" / "neo4j.conf").read_text()
        assert f"server.memory.pagecache.size={memory.pagecache}" in conf
    finally:
        server.stop()

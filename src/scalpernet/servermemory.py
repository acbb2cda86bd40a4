"""The local Neo4j server's heap and page cache, chosen from the machine's memory.

Unless ``SCALPERNET_NEO4J_HEAP`` / ``SCALPERNET_NEO4J_PAGECACHE`` say otherwise, the server
gets what ``neo4j-admin server memory-recommendation`` advises for a share of the machine's
memory (:data:`NEO4J_SHARE`): the rest is left to the analysis (its projection holds every
booking of the window in Python), the API's workers and the operating system. The advice
is asked once per budget and kept beside the server's config, because each ask starts a JVM.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from scalpernet.config import Settings
from scalpernet.errors import ServerError

#: The share of the machine's memory that the local server is planned for.
NEO4J_SHARE = 0.5
_ADVICE = re.compile(r"^server\.memory\.(heap\.max_size|pagecache\.size)=(\S+)$", re.MULTILINE)


@dataclass(frozen=True)
class ServerMemory:
    """What the local server runs with, and where each figure came from."""

    heap: str
    pagecache: str
    #: The settings that named a figure.
    named: tuple[str, ...] = ()
    #: GiB the advice was asked for, and the machine's (None: both figures were set).
    planned_gib: float | None = None
    total_gib: float | None = None

    @property
    def source(self) -> str:
        """Where the figures came from, e.g. "recommended for 11.8 GiB of 23.5 GiB"."""
        if self.planned_gib is None:
            return ", ".join(self.named)
        return (f"recommended for {self.planned_gib:.1f} GiB of {self.total_gib:.1f} GiB"
                + "".join(f", {n}" for n in self.named))


def machine_memory() -> int:
    """Bytes of memory this process may use: the machine's, or its cgroup's limit if lower."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    limit = Path("/sys/fs/cgroup/memory.max")
    try:
        text = limit.read_text().strip()
    except OSError:
        return total
    return min(total, int(text)) if text.isdigit() else total


def budget(total: int) -> int:
    """Bytes the server is planned for, in whole MiB (the tool takes sizes in units)."""
    return int(total * NEO4J_SHARE) // 2**20 * 2**20


#: Runs ``neo4j-admin`` with the given arguments and config folder.
Admin = Callable[[list[str], Path], "subprocess.CompletedProcess[str]"]


def recommend(admin: Admin, memory: int) -> tuple[str, str]:
    """(heap, page cache) that ``neo4j-admin`` recommends for ``memory`` bytes (asked with
    an empty config: the server's own is written from the answer)."""
    with tempfile.TemporaryDirectory() as conf:
        (Path(conf) / "neo4j.conf").touch()
        done = admin(["server", "memory-recommendation", f"--memory={memory // 2**20}m"],
                     Path(conf))
    advice = dict(_ADVICE.findall(done.stdout))
    if done.returncode != 0 or len(advice) != 2:
        lines = (done.stdout + done.stderr).strip().splitlines() or ["no output"]
        raise ServerError("neo4j-admin server memory-recommendation failed: " + lines[-1][:200]
                          + "; set SCALPERNET_NEO4J_HEAP and SCALPERNET_NEO4J_PAGECACHE instead")
    return advice["heap.max_size"], advice["pagecache.size"]


def resolve(settings: Settings, admin: Admin, *, total: int | None = None) -> ServerMemory:
    """The memory the local server runs with: the settings where given, else the advice
    for :func:`budget` of the machine (kept in ``<server dir>/memory.json``)."""
    heap, pagecache = settings.neo4j_heap, settings.neo4j_pagecache
    names = ("SCALPERNET_NEO4J_HEAP", "SCALPERNET_NEO4J_PAGECACHE")
    if heap and pagecache:
        return ServerMemory(heap, pagecache, names)
    total = machine_memory() if total is None else total
    planned = budget(total)
    home = settings.server_dir
    kept = home / "memory.json"
    key = {"budget": planned, "version": settings.neo4j_version}
    advice: dict[str, Any] | None = None
    if kept.exists():
        stored = orjson.loads(kept.read_bytes())
        if {k: stored.get(k) for k in key} == key:
            advice = stored
    if advice is None:
        rec_heap, rec_pagecache = recommend(admin, planned)
        advice = {**key, "heap": rec_heap, "pagecache": rec_pagecache}
        home.mkdir(parents=True, exist_ok=True)
        kept.write_bytes(orjson.dumps(advice))
    named = tuple(name for name, value in zip(names, (heap, pagecache), strict=True) if value)
    return ServerMemory(heap or advice["heap"], pagecache or advice["pagecache"], named,
                        round(planned / 2**30, 1), round(total / 2**30, 1))


def describe(memory: ServerMemory) -> str:
    """One English line for logs and benchmarks (``db start`` says it through the CLI's
    catalogue)."""
    return f"heap {memory.heap}, page cache {memory.pagecache} ({memory.source})"


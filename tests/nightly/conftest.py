"""A drop folder and a data folder of the test's own, pointed at the test Neo4j."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from scalpernet.config import Settings, get_settings
from scalpernet.graph import Graph
from scalpernet.ingest.runs import file_checksum


@dataclass
class Drop:
    """The test's drop folder, its settings and the environment for subprocesses."""

    dir: Path
    settings: Settings = field(repr=False)  # holds the password
    env: dict[str, str] = field(repr=False)

    def files(self) -> dict[str, Path]:
        """Every regular file under the drop folder but the lock, by path relative to it."""
        return {str(p.relative_to(self.dir)): p for p in self.dir.rglob("*")
                if p.is_file() and p.name != ".nightly.lock"}

    def checksums(self) -> list[str]:
        return sorted(file_checksum(p) for p in self.files().values()
                      if not p.name.endswith((".done", ".reason.txt")))


@pytest.fixture()
def drop(graph: Graph, tmp_path: Path) -> Drop:
    """Drop and data folders under tmp_path; no settle wait; Neo4j retries of 0.2 s."""
    base = get_settings()
    folder = tmp_path / "drop"
    folder.mkdir()
    settings = base.model_copy(update={
        "data_dir": tmp_path / "data", "drop_dir": folder, "neo4j_password": base.password,
        "drop_settle_s": 0.0, "nightly_retry_waits": (0.2, 0.2)})
    env = {**os.environ, "SCALPERNET_DATA_DIR": str(tmp_path / "data"),
           "SCALPERNET_DROP_DIR": str(folder), "SCALPERNET_DROP_SETTLE_S": "0",
           "SCALPERNET_NIGHTLY_RETRY_WAITS": "0.2,0.2", "SCALPERNET_BOLT_PORT": str(base.bolt_port)}
    if base.password is not None:
        env["NEO4J_PASSWORD"] = base.password
    return Drop(folder, settings, env)

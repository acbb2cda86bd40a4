"""A dead process's last commit, still on its way to the server (for the settle race tests).

:func:`dead_owner` is a process that has exited, as a run records its owner; a
:class:`HeldCommit` is a connection that speaks for it (its user agent names that owner) with
a transaction open that writes registrations of a run and commits only when told: what the
server sees when a process dies with its commit sent but not yet applied."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from typing import Any

from scalpernet.config import get_settings
from scalpernet.graph import Graph
from scalpernet.ingest import runs


def dead_owner() -> dict[str, Any]:
    """Host, pid and start time of a process that has exited."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return {"host": socket.gethostname(), "pid": proc.pid, "pid_started": time.time()}


def start_dead_run(graph: Graph, run_id: str, owner: dict[str, Any],
                   parent: str | None = None) -> None:
    """An ingest run left ``running`` by ``owner``, its lease expired."""
    graph.write("ingest_run_start", id=run_id, started_at=runs.now(), quarantine_file="q",
                files="[]", parent=parent, lease_until=runs.now(), **owner)


class HeldCommit:
    """``rows`` registrations of ``run_id`` written in a transaction of ``owner``'s, open
    until :meth:`commit`."""

    def __init__(self, owner: dict[str, Any], run_id: str, rows: int) -> None:
        self.graph = Graph(get_settings(), owner=owner)
        self.session = self.graph.driver.session(database=self.graph.database)
        self.tx = self.session.begin_transaction()
        self.tx.run("UNWIND range(1, $rows) AS i CREATE (:Registration {key: $run + '|' + "
                    "toString(i), ingest_run: $run})", rows=rows, run=run_id).consume()

    def commit(self) -> None:
        """Commit, then close the connection, as the server sees a dead client's last words."""
        self.tx.commit()
        self.session.close()
        self.graph.close()

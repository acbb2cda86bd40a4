"""Which process a connection to Neo4j speaks for, and whether the server is done with one.

Every driver names its process in its Bolt user agent (:func:`user_agent`: host, pid and
the process's start time, the owner a run records). When that process has died, the server
may still hold a connection of it, or a transaction it had sent the commit of: what the
process wrote is only final once the server holds neither (:func:`server_done_with`).
"""

from __future__ import annotations

import os
import socket
import time
from typing import TYPE_CHECKING, Any

import psutil

from scalpernet import __version__

if TYPE_CHECKING:
    from scalpernet.graph.session import Graph

#: Seconds between two looks at the server's connections while waiting for it to be done.
POLL_S = 0.2


def process_start(pid: int) -> float | None:
    """When the process ``pid`` started (seconds since the epoch); ``None``: no such process."""
    try:
        return round(psutil.Process(pid).create_time(), 2)
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None


def this_process() -> dict[str, Any]:
    """This process, as a run records its owner: host, pid and start time."""
    pid = os.getpid()
    return {"host": socket.gethostname(), "pid": pid, "pid_started": process_start(pid)}


def user_agent(owner: dict[str, Any]) -> str:
    """The Bolt user agent of a driver speaking for ``owner`` (see :func:`this_process`)."""
    started = owner.get("pid_started")
    started_text = "-" if started is None else f"{float(started):.2f}"
    return f"scalpernet/{__version__} {owner.get('host')}/{owner.get('pid')}/{started_text}"


def _server_holds(graph: Graph, agent: str) -> bool:
    """Whether the server has a connection of ``agent``, or a transaction whose connection is
    gone (it may be one of ``agent``'s, still committing).

    Transactions are listed before connections: a transaction whose connection is not
    listed afterwards has outlived it."""
    transactions = {r["connection"] for r in graph.read("server_transactions")}
    connections = {r["connection"]: r["agent"] for r in graph.read("server_connections")}
    return (agent in connections.values()
            or any(c is not None and c not in connections for c in transactions))


def server_done_with(graph: Graph, owner: dict[str, Any], wait_s: float) -> bool:
    """Whether the server holds no connection of the (dead) ``owner`` and no transaction that
    may still commit for it, waiting up to ``wait_s`` seconds for that to be so."""
    agent = user_agent(owner)
    deadline = time.monotonic() + wait_s
    while _server_holds(graph, agent):
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_S)
    return True

"""One nightly pass at a time per drop folder: a kernel lock on ``<drop>/.nightly.lock``.

Why a kernel (``flock``) lock and not a pid file or a lock node in Neo4j:

* the kernel drops it the moment its holder dies, even on SIGKILL or OOM, so a stale lock
  never exists and needs no pid check (pids are reused, and each container has its own
  pid namespace, so "is pid 7 alive?" means nothing across the API and nightly containers);
* it needs no clock and no expiry: a pass that runs for hours keeps it without a heartbeat,
  where a lease in Neo4j would need one and could expire under a live pass;
* it still works when Neo4j is down, which is exactly when a pass must not race another one
  over the drop folder's files.

What it guards is the drop folder, so it lives there (hidden: scans skip it). The file is
never deleted: deleting a lock file lets two processes lock two different inodes. It holds
the owner (pid, host, pass id, since) for the refusal message only. Limit: every process
must see the same kernel's locks, i.e. the drop folder is a local folder or a volume of one
host (as in docker-compose); NFSv4 also carries these locks.
"""

from __future__ import annotations

import fcntl
import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

import orjson

from scalpernet.errors import ScalperNetError

LOCK_NAME = ".nightly.lock"


class PassLocked(ScalperNetError):
    """Another nightly pass holds the drop folder; this one must not start."""

    #: The exit code of ``scalpernet nightly`` when refused (EX_TEMPFAIL: try again later).
    exit_code = 75


class PassLock:
    """``with PassLock(drop_dir, pass_id):`` holds the drop folder or raises :class:`PassLocked`."""

    def __init__(self, drop_dir: Path, pass_id: str) -> None:
        self.path = drop_dir / LOCK_NAME
        self.pass_id = pass_id
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise PassLocked(f"another nightly pass is running on {self.path.parent} "
                             f"({describe_owner(self.path)}); this one did nothing") from None
        owner = {"pid": os.getpid(), "host": socket.gethostname(), "pass_id": self.pass_id,
                 "since": datetime.now(UTC).isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, orjson.dumps(owner) + b"\n", 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the last descriptor releases the lock

    def __enter__(self) -> PassLock:
        self.acquire()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


def describe_owner(path: Path) -> str:
    """Who holds the lock, as its holder wrote it ('owner unknown' while it is being written)."""
    try:
        owner = orjson.loads(path.read_bytes())
        return (f"pass {owner['pass_id']}, pid {owner['pid']} on {owner['host']}, "
                f"since {owner['since']}")
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError):
        return "owner unknown"

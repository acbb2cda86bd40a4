"""The drop folder: which exports are complete, and where each one goes after a pass.

A file is complete when ``<name>.done`` exists beside it (the API's upload route and
well-behaved senders write it last), or, without a marker, when it has not changed for the
settle period: any write moves its mtime, and a rename into place moves its ctime, so
``now - max(mtime, ctime) >= settle`` means nobody has touched it for that long (an empty
file without a marker is taken for a file not yet begun, and waits). Hidden
files, temporary names (``.part``, ``.tmp``, ``~`` …) and the ``processed/`` and ``failed/``
folders are never taken.

Files leave the drop folder only by rename within it (same filesystem, so atomic), to
``processed/<date>/`` or ``failed/<date>/`` (with ``<name>.reason.txt``), keeping their
sub-folder and never overwriting: a name already taken gets a ``~<pass>`` suffix. Nothing is
ever deleted. Only the holder of the pass lock writes into those two folders.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from scalpernet.ingest.readers import SUFFIXES

PROCESSED = "processed"
FAILED = "failed"
MARKER = ".done"
REASON = ".reason.txt"
#: Names that senders and editors use while a file is still being written.
TEMPORARY_SUFFIXES = (".part", ".partial", ".tmp", ".temp", ".filepart", ".crdownload",
                      ".swp", ".lock", "~")
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class DropFile:
    """A complete export in the drop folder."""

    path: Path
    relative: Path
    size: int
    mtime_ns: int
    marker: Path | None = None
    #: The SHA-256 the sender wrote into the marker, if it wrote one.
    marker_digest: str | None = None

    @property
    def is_export(self) -> bool:
        return self.path.suffix.lower() in SUFFIXES

    def unchanged(self) -> bool:
        """True while the file still has the size and mtime it was taken with."""
        try:
            st = self.path.stat()
        except OSError:
            return False
        return (st.st_size, st.st_mtime_ns) == (self.size, self.mtime_ns)


@dataclass(slots=True)
class DropScan:
    """What one look at the drop folder found."""

    ready: list[DropFile] = field(default_factory=list)
    #: Files still being written (no marker, changed within the settle period).
    waiting: list[Path] = field(default_factory=list)


def is_temporary(name: str) -> bool:
    lowered = name.lower()
    return name.startswith(".") or lowered.endswith(TEMPORARY_SUFFIXES)


def _read_digest(marker: Path) -> str | None:
    try:
        text = marker.read_text(encoding="utf-8", errors="replace").strip().lower()
    except OSError:
        return None
    return text if _DIGEST.match(text) else None


def _walk(folder: Path, root: Path) -> list[Path]:
    """Regular files under ``folder``, skipping hidden entries, symlinks and the outboxes."""
    found: list[Path] = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                if folder == root and entry.name in (PROCESSED, FAILED):
                    continue
                found.extend(_walk(Path(entry.path), root))
            elif entry.is_file(follow_symlinks=False):
                found.append(Path(entry.path))
    return found


def scan_drop(drop_dir: Path, *, settle_s: float, now: float | None = None) -> DropScan:
    """The complete exports in ``drop_dir`` (oldest first) and those still being written."""
    now = time.time() if now is None else now
    scan = DropScan()
    if not drop_dir.is_dir():
        return scan
    files = _walk(drop_dir, drop_dir)
    names = {str(p) for p in files}
    for path in files:
        if is_temporary(path.name) or path.name.endswith((MARKER, REASON)):
            continue
        try:
            st = path.stat()
        except OSError:  # moved away between the listing and now
            continue
        marker = path.with_name(path.name + MARKER)
        has_marker = str(marker) in names
        if not has_marker and (st.st_size == 0
                               or now - max(st.st_mtime, st.st_ctime) < settle_s):
            scan.waiting.append(path)
            continue
        scan.ready.append(DropFile(
            path=path, relative=path.relative_to(drop_dir), size=st.st_size,
            mtime_ns=st.st_mtime_ns, marker=marker if has_marker else None,
            marker_digest=_read_digest(marker) if has_marker else None))
    scan.ready.sort(key=lambda f: (f.mtime_ns, str(f.relative)))
    scan.waiting.sort()
    return scan


def _free_name(target: Path, tag: str) -> Path:
    """``target``, or ``<stem>~<tag>[-n]<suffix>`` when that name is taken."""
    if not target.exists() and not target.with_name(target.name + MARKER).exists():
        return target
    for n in range(1, 10_000):
        extra = tag if n == 1 else f"{tag}-{n}"
        candidate = target.with_name(f"{target.stem}~{extra}{target.suffix}")
        if not candidate.exists():
            return candidate
    raise FileExistsError(f"no free name for {target}")


def _move(drop_file: DropFile, drop_dir: Path, outbox: str, day: str, tag: str) -> Path:
    target = _free_name(drop_dir / outbox / day / drop_file.relative, tag)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.rename(drop_file.path, target)  # same filesystem: atomic, the file is never copied
    if drop_file.marker is not None and drop_file.marker.exists():
        os.rename(drop_file.marker, target.with_name(target.name + MARKER))
    return target


def move_processed(drop_file: DropFile, drop_dir: Path, *, day: str, tag: str) -> Path:
    """Move a handled export (and its marker) to ``processed/<day>/``; returns where."""
    return _move(drop_file, drop_dir, PROCESSED, day, tag)


def move_failed(drop_file: DropFile, drop_dir: Path, reason: str, *, day: str,
                tag: str) -> Path:
    """Move an export that cannot be ingested to ``failed/<day>/`` with ``<name>.reason.txt``."""
    target = _move(drop_file, drop_dir, FAILED, day, tag)
    target.with_name(target.name + REASON).write_text(reason.rstrip() + "\n", encoding="utf-8")
    return target

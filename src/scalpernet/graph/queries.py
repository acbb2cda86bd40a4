"""Cypher lives in ``cypher/<name>.cypher``, one statement per file; code loads it by name."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from scalpernet.config import PROJECT_ROOT

CYPHER_DIR = PROJECT_ROOT / "cypher"
_NAME = re.compile(r"^[a-z0-9_]+$")


def _path(name: str) -> Path:
    if not _NAME.match(name):
        raise ValueError(f"bad query name {name!r}")
    path = CYPHER_DIR / f"{name}.cypher"
    if not path.exists():
        raise FileNotFoundError(f"no query file cypher/{name}.cypher")
    return path


def _strip_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))


@cache
def load_query(name: str) -> str:
    """The single statement in ``cypher/<name>.cypher``."""
    return _path(name).read_text(encoding="utf-8").strip().rstrip(";").strip()


@cache
def load_statements(name: str) -> tuple[str, ...]:
    """Every ``;``-separated statement of a multi-statement file such as ``schema``."""
    text = _strip_comments(_path(name).read_text(encoding="utf-8"))
    return tuple(s.strip() for s in text.split(";") if s.strip())

"""Which version of a booking is kept when exports hold more than one: one total order.

A booking exported again (cancelled, paid, attended) comes with another content hash. Of two
versions, the one kept is the greater :func:`version_key`: the later last event, and of
equal last events the greater content hash, so that the outcome never depends on which file
is read or which transaction commits first. The transactional writer and the bulk load both
decide by this key. Rows with the same content hash are the same version.
"""

from __future__ import annotations

from typing import Any


def version_key(last_event: Any, content_hash: str | None) -> tuple[bool, Any, str]:
    """The order of a booking's versions (greater: kept). ``last_event`` as one path writes
    it (fixed-width ISO text, which orders as the times do); none sorts first."""
    return (bool(last_event), last_event or "", content_hash or "")

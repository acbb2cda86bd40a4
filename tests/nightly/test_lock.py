"""One pass at a time per drop folder; a dead holder never leaves a stale lock."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from scalpernet.nightly.lock import PassLock, PassLocked


def test_a_second_holder_is_refused_with_the_owner_named(tmp_path: Path) -> None:
    with (PassLock(tmp_path, "nightly-first"),
          pytest.raises(PassLocked, match=rf"nightly-first, pid {os.getpid()}")):
        PassLock(tmp_path, "nightly-second").acquire()
    with PassLock(tmp_path, "nightly-third"):  # released on exit
        pass


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    holder = textwrap.dedent(f"""
        import os, signal
        from pathlib import Path
        from scalpernet.nightly.lock import PassLock
        PassLock(Path({str(tmp_path)!r}), "nightly-killed").acquire()
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", holder], check=False)
    assert proc.returncode == -9
    assert "nightly-killed" in (tmp_path / ".nightly.lock").read_text()  # its note stays …
    with PassLock(tmp_path, "nightly-next"):  # … but the kernel dropped its lock
        assert "nightly-next" in (tmp_path / ".nightly.lock").read_text()

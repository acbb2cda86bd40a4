"""The nightly service: take complete exports from the drop folder, ingest, analyze, record."""

from scalpernet.nightly.lock import PassLocked
from scalpernet.nightly.passes import PassOutcome, run_pass

__all__ = ["PassLocked", "PassOutcome", "run_pass"]

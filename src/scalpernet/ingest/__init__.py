"""Ingestion: export files → validated batches → Neo4j (transactional or bulk), or counted.

``iter_batches`` is the one path every run reads; ``validate_paths`` is the dry run.
"""

from scalpernet.ingest.quarantine import QuarantineItem, QuarantineWriter
from scalpernet.ingest.readers import ReadStats, load_mapping, read_file, source_files
from scalpernet.ingest.validate import IngestReport, InvariantError, iter_batches, validate_paths

__all__ = [
    "IngestReport",
    "InvariantError",
    "QuarantineItem",
    "QuarantineWriter",
    "ReadStats",
    "iter_batches",
    "load_mapping",
    "read_file",
    "source_files",
    "validate_paths",
]

"""Ingestion of hospital registration exports: read, validate, normalise, quarantine.

``iter_records`` is the stream of validated records and quarantined rows that the dry run
counts and the database writer consumes; ``validate_paths`` is the dry run itself.
"""

from scalpernet.ingest.quarantine import QuarantineItem, QuarantineWriter
from scalpernet.ingest.readers import ReadStats, load_mapping, read_file, source_files
from scalpernet.ingest.validate import Counts, InvariantError, iter_records, validate_paths

__all__ = [
    "Counts",
    "InvariantError",
    "QuarantineItem",
    "QuarantineWriter",
    "ReadStats",
    "iter_records",
    "load_mapping",
    "read_file",
    "source_files",
    "validate_paths",
]

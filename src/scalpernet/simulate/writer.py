"""Row writers: CSV, JSON Lines or Parquet, one file set per hospital, rotated by size.

Rows stream straight to disk (Parquet in row groups of a few thousand rows), so memory stays
flat whatever the number of records.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import IO

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from scalpernet.simulate.bookings import COLUMNS

FORMATS = ("csv", "jsonl", "parquet")
_SCHEMA = pa.schema([(c, pa.string()) for c in COLUMNS])
_GROUP = 8192


class RowWriter:
    """Writes one hospital's rows to ``registrations_<code>_<part>.<ext>`` files."""

    def __init__(self, out_dir: Path, code: str, fmt: str, rows_per_file: int) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
        self.out_dir, self.code, self.fmt, self.rows_per_file = out_dir, code, fmt, rows_per_file
        self.files: list[Path] = []
        self.rows = 0
        self._in_file = 0
        self._fh: IO | None = None
        self._csv = None
        self._pq: pq.ParquetWriter | None = None
        self._buffer: list[tuple] = []

    def _open(self) -> None:
        self._close_file()
        path = self.out_dir / f"registrations_{self.code}_{len(self.files) + 1:02d}.{self.fmt}"
        self.files.append(path)
        self._in_file = 0
        if self.fmt == "csv":
            self._fh = path.open("w", encoding="utf-8", newline="")
            self._csv = csv.writer(self._fh, lineterminator="\n")
            self._csv.writerow(COLUMNS)
        elif self.fmt == "jsonl":
            self._fh = path.open("wb")
        else:
            self._pq = pq.ParquetWriter(path, _SCHEMA, compression="zstd")

    def write(self, rows: list[tuple]) -> None:
        """Append rows (tuples in :data:`COLUMNS` order, ``None`` for empty)."""
        i = 0
        while i < len(rows):
            if not self.files or self._in_file >= self.rows_per_file:
                self._open()
            take = rows[i:i + self.rows_per_file - self._in_file]
            i += len(take)
            self._in_file += len(take)
            self.rows += len(take)
            if self.fmt == "csv":
                self._csv.writerows(["" if v is None else v for v in r] for r in take)
            elif self.fmt == "jsonl":
                self._fh.write(b"".join(
                    orjson.dumps(dict(zip(COLUMNS, r, strict=True))) + b"\n" for r in take))
            else:
                self._buffer.extend(take)
                if len(self._buffer) >= _GROUP:
                    self._flush()

    def _flush(self) -> None:
        if self._buffer and self._pq is not None:
            columns = list(zip(*self._buffer, strict=True))
            self._pq.write_table(pa.table([pa.array(c, pa.string()) for c in columns],
                                          schema=_SCHEMA))
            self._buffer = []

    def _close_file(self) -> None:
        self._flush()
        if self._pq is not None:
            self._pq.close()
            self._pq = None
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def close(self) -> list[Path]:
        if not self.files:
            self._open()  # a hospital without rows still gets its (empty) file
        self._close_file()
        return self.files

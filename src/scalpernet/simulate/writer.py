"""Row writers: CSV, JSON Lines or Parquet, one file set per hospital, rotated by size.

Rows stream straight to disk (Parquet in row groups of a few thousand rows), so memory stays
flat whatever the number of records. Rows are tuples of texts, ``""`` for an empty value
(an empty CSV cell, JSON ``null``, a Parquet null). The simulator's texts never hold a
comma, a quote or a line break, so CSV rows are joined directly; a batch that does (checked
by counting separators) goes through :mod:`csv` and is quoted as usual.
"""

from __future__ import annotations

import csv
from operator import itemgetter
from pathlib import Path
from typing import IO

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from scalpernet.simulate.bookings import COLUMNS

FORMATS = ("csv", "jsonl", "parquet")
_GROUP = 8192


def _plain_csv(text: str, rows: int, width: int) -> bool:
    """Whether ``rows`` rows of ``width`` values joined with commas and newlines need no CSV
    quoting."""
    return (text.count(",") == rows * (width - 1) and text.count("\n") == rows
            and '"' not in text and "\r" not in text)


class RowWriter:
    """Writes one hospital's rows to ``registrations_<code>_<part>.<ext>`` files.

    Rows come with every contract column; ``columns`` (default: all) are the ones written,
    so an export without some optional columns has no trace of them.
    """

    def __init__(self, out_dir: Path, code: str, fmt: str, rows_per_file: int,
                 columns: tuple[str, ...] = COLUMNS) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
        self.out_dir, self.code, self.fmt, self.rows_per_file = out_dir, code, fmt, rows_per_file
        self.columns = columns
        self._pick = (None if columns == COLUMNS else
                      itemgetter(*[COLUMNS.index(c) for c in columns]))
        self._schema = pa.schema([(c, pa.string()) for c in columns])
        self.files: list[Path] = []
        self.rows = 0
        self._in_file = 0
        self._fh: IO | None = None
        self._csv = None
        self._pq: pq.ParquetWriter | None = None
        self._buffer: list[tuple[str, ...]] = []

    def _open(self) -> None:
        self._close_file()
        path = self.out_dir / f"registrations_{self.code}_{len(self.files) + 1:02d}.{self.fmt}"
        self.files.append(path)
        self._in_file = 0
        if self.fmt == "csv":
            self._fh = path.open("w", encoding="utf-8", newline="")
            self._csv = csv.writer(self._fh, lineterminator="\n")
            self._csv.writerow(self.columns)
        elif self.fmt == "jsonl":
            self._fh = path.open("wb")
        else:
            self._pq = pq.ParquetWriter(path, self._schema, compression="zstd")

    def write(self, rows: list[tuple[str, ...]]) -> None:
        """Append rows (tuples of texts in :data:`COLUMNS` order, ``""`` for empty)."""
        if self._pick is not None:
            rows = list(map(self._pick, rows))
        i = 0
        while i < len(rows):
            if not self.files or self._in_file >= self.rows_per_file:
                self._open()
            take = rows[i:i + self.rows_per_file - self._in_file]
            i += len(take)
            self._in_file += len(take)
            self.rows += len(take)
            if self.fmt == "csv":
                text = "\n".join(map(",".join, take)) + "\n"
                if _plain_csv(text, len(take), len(self.columns)):
                    self._fh.write(text)
                else:
                    self._csv.writerows(take)
            elif self.fmt == "jsonl":
                self._fh.write(b"".join(
                    orjson.dumps(dict(zip(self.columns, [v or None for v in r], strict=True)))
                    + b"\n" for r in take))
            else:
                self._buffer.extend(take)
                if len(self._buffer) >= _GROUP:
                    self._flush()

    def _flush(self) -> None:
        if self._buffer and self._pq is not None:
            columns = list(zip(*self._buffer, strict=True))
            self._pq.write_table(pa.table(
                [pa.array([v or None for v in c], pa.string()) for c in columns],
                schema=self._schema))
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

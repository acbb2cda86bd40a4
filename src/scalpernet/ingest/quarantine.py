"""Quarantine: every row that cannot be used, with where it came from and why.

Investigators and data stewards read the quarantine file to fix an export or to argue that no
booking was lost: one JSON line per row, ``{file, line, raw, reason, message}``. ``raw`` is
the row as read (a header→text object, a list of cells for a row of the wrong shape, or the
line's text); a field longer than :data:`RAW_FIELD_CAP` is cut, a row of more than
:data:`RAW_CELLS_CAP` cells keeps its first ones, and each cut is said in ``truncated``.
Undecodable bytes appear as ``\\udcXX`` escapes.

This file holds personal data (ID numbers, phones) by necessity; it is written only where
the user says. Messages name fields, never their values, so counts and reasons can be
printed and logged without masking.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import orjson

from scalpernet.errors import ScalperNetError, printable

#: Characters kept of one raw field in the quarantine file.
RAW_FIELD_CAP = 1024
#: Cells (or keys) kept of one raw row; a row of a million cells keeps its first ones.
RAW_CELLS_CAP = 256

#: Reason codes (the part before ``:``) and what each means, for reports and docs.
REASONS: dict[str, str] = {
    "missing_required": "a required field is empty or absent",
    "bad_datetime": "a datetime field cannot be read",
    "bad_status": "status is not booked/cancelled/attended/no_show or a known synonym",
    "bad_fee": "fee_yuan is not a non-negative amount",
    "control_characters": "a key field contains a control character",
    "field_too_large": "a field is longer than the cap (64 KiB)",
    "row_shape": "the row has more or fewer cells than the header, or was cut short",
    "bad_encoding": "the row holds bytes that are not valid in the file's encoding",
    "bad_json": "a JSON Lines line is not a JSON object",
    "ambiguous_columns": "two keys of one JSON object name the same field",
    "duplicate_conflict": "a registration seen earlier in this run with different content",
    "inexact_number": "an identifier given as a number its type does not hold exactly",
}


@dataclass(frozen=True, slots=True)
class QuarantineItem:
    """One unusable row: ``reason`` is a stable code (``bad_datetime:booked_at``)."""

    file: str
    line: int
    raw: Any
    reason: str
    message: str

    @property
    def reason_kind(self) -> str:
        """The code without its field (``bad_datetime``)."""
        return self.reason.split(":", 1)[0]


def _cap(text: str, truncated: list[str], name: str) -> str:
    if len(text) <= RAW_FIELD_CAP:
        return text
    truncated.append(f"{name}: {len(text)} characters, first {RAW_FIELD_CAP} kept")
    return text[:RAW_FIELD_CAP]


def _bounded(raw: Any, truncated: list[str]) -> Any:
    if isinstance(raw, str):
        return _cap(raw, truncated, "line")
    if isinstance(raw, dict | list | tuple) and len(raw) > RAW_CELLS_CAP:
        truncated.append(f"{len(raw)} cells, first {RAW_CELLS_CAP} kept")
        raw = (dict(list(raw.items())[:RAW_CELLS_CAP]) if isinstance(raw, dict)
               else list(raw[:RAW_CELLS_CAP]))
    if isinstance(raw, dict):
        return {str(k)[:RAW_FIELD_CAP]: _cap(v, truncated, str(k)) if isinstance(v, str) else v
                for k, v in raw.items()}
    if isinstance(raw, list | tuple):
        return [_cap(v, truncated, f"cell {i + 1}") if isinstance(v, str) else v
                for i, v in enumerate(raw)]
    return raw


def _text(value: Any) -> Any:
    """Lone surrogates (undecodable bytes) are not valid JSON: write them as ``\\udcXX``."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8") if _has_surrogate(
            value) else value
    if isinstance(value, dict):
        return {_text(k): _text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_text(v) for v in value]
    return value


_SURROGATE = re.compile("[\ud800-\udfff]")


def _has_surrogate(text: str) -> bool:
    return _SURROGATE.search(text) is not None


def quarantine_line(item: QuarantineItem) -> bytes:
    """The JSON line (with newline) recorded for one item; raw fields capped."""
    truncated: list[str] = []
    raw = _text(_bounded(item.raw, truncated))
    doc: dict[str, Any] = {"file": item.file, "line": item.line, "raw": raw,
                           "reason": item.reason, "message": item.message}
    if truncated:
        doc["truncated"] = truncated
    return orjson.dumps(doc) + b"\n"


class QuarantineError(ScalperNetError):
    """The quarantine file cannot be written (full disk, no permission, not a folder)."""


class QuarantineWriter:
    """Appends quarantine lines to a JSONL file, created (with its folder) on first item.

    A run without a bad row leaves no empty file behind. Use as a context manager. Any
    failure to write is a :class:`QuarantineError` naming the quarantine file, so a run
    stops before a bad row could be dropped unrecorded (its file is not marked complete).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        #: Lines known to be on disk (flushed): what a failed run can say it quarantined.
        self.durable = 0
        self._out: IO[bytes] | None = None

    def _failed(self, exc: OSError) -> QuarantineError:
        reason = exc.strerror or type(exc).__name__
        return QuarantineError(printable(f"cannot write the quarantine file {self.path}: "
                                         f"{reason}"))

    def write(self, item: QuarantineItem) -> None:
        try:
            if self._out is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._out = self.path.open("ab")
            self._out.write(quarantine_line(item))
        except OSError as exc:
            raise self._failed(exc) from exc
        self.count += 1

    def flush(self) -> None:
        """Every line written so far on disk (before the rows it accounts for are done)."""
        if self._out is not None:
            try:
                self._out.flush()
                os.fsync(self._out.fileno())
            except OSError as exc:
                raise self._failed(exc) from exc
        self.durable = self.count

    def close(self) -> None:
        if self._out is not None:
            out, self._out = self._out, None
            try:
                out.close()
            except OSError as exc:
                raise self._failed(exc) from exc
        self.durable = self.count

    def __enter__(self) -> QuarantineWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

"""Streaming readers for hospital registration exports: CSV, JSON Lines and Parquet.

Exports arrive as whatever the hospital's system writes: UTF-8, UTF-8 with BOM, GB18030/GBK,
Excel's UTF-16 "Unicode text", comma, tab, semicolon or ``|`` separated, CRLF, Chinese or
English headers, or the user's own headers mapped with a small file. The readers stream (a
5 GB export never sits in memory) and yield, in line order, batches of rows as text
(:class:`~scalpernet.ingest.rows.TextBatch`: columns, and the physical line each row starts
on) and a :class:`~scalpernet.ingest.quarantine.QuarantineItem` for a row that cannot even be
split into cells (wrong number of cells, a file that ends inside a quoted field, undecodable
bytes, bad JSON, a typed number that does not hold an identifier exactly).

Delimited files are split by pyarrow's CSV reader (``pyarrow.csv.open_csv``), the one
splitter; files in another encoding than UTF-8 are decoded on the way in. Blank lines and
rows whose every cell is empty are not rows; they are counted in :class:`ReadStats`. For
Parquet the "line" is the 1-based row number.

Typed columns (Parquet, JSON numbers) are turned into text exactly: an identifier field
(:data:`~scalpernet.records.KEY_FIELDS`) given as a number must hold an integer that its type
represents exactly, else the row is quarantined as ``inexact_number:<field>``: a float with a
fraction or beyond the integers its type holds exactly (2**53 for float64, 2**24 for float32),
a decimal with a fraction, an integer beyond the int64 range. A NaN is an empty value.
Numbers that reached a text export as a spreadsheet writes them are read the same way in
the digit identifiers (:data:`NUMERIC_IDS`): ``17616710332.0`` is ``17616710332``;
``1.7616710332E+10`` is ``17616710332`` because its mantissa holds every digit, while
``1.76167E+10`` hides the last five and is quarantined. (A fraction in text is left alone:
``0755.83412345`` is a landline written with a dot.)

A file whose header cannot be used (no column for a required field, two columns naming one
field) raises :class:`~scalpernet.errors.InputError` before any row is read: fixing the
mapping is better than quarantining a million rows. A file that cannot be read on (an I/O
error, a damaged Parquet page) raises :class:`~scalpernet.errors.InputError` naming it too;
callers that read many files record it and go on with the next (:attr:`ReadStats.failed`).
"""

from __future__ import annotations

import codecs
import io
import math
import re
import tomllib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import yaml

from scalpernet.errors import InputError, printable
from scalpernet.ingest.quarantine import QuarantineItem
from scalpernet.ingest.rows import TextBatch
from scalpernet.records import (
    FIELD_SET,
    FIELDS,
    KEY_FIELDS,
    REQUIRED,
    canonical_field,
    normalise_header,
)

#: File suffixes picked up when walking a folder.
SUFFIXES: Final = (".csv", ".tsv", ".txt", ".jsonl", ".ndjson", ".parquet")
#: Bytes sampled from the head of a CSV file to detect its encoding and delimiter.
SAMPLE_BYTES: Final = 1 << 20
#: Bytes of a delimited file parsed at once (about 16k rows of a typical export).
BLOCK_BYTES: Final = 4 << 20
#: Largest block tried for a file with a row longer than a block (each try 4x the last).
MAX_BLOCK_BYTES: Final = 256 << 20
#: Longest JSON Lines line read whole; a longer one is quarantined.
LINE_CAP: Final = 32 << 20
#: Rows per batch of JSON Lines and Parquet.
BATCH_ROWS: Final = 16_384
DELIMITERS: Final = (",", "\t", ";", "|")
#: Largest integer a float64 holds exactly, with every integer below it.
EXACT_FLOAT: Final = 2**53
#: The same for each float width (a float32 phone column cannot hold 11 digits).
EXACT_BY_WIDTH: Final = {16: 2**11, 32: 2**24, 64: EXACT_FLOAT}
#: Identifier fields whose values are digits: a number written as a spreadsheet writes it
#: (``1.7616710332E+10``, ``17616710332.0``) is read as its digits or quarantined.
NUMERIC_IDS: Final = ("registration_id", "id_number", "phone", "visit_card", "account_id",
                      "payer_account", "escort_agent_phone")
_NUMBER_TEXT = r"^\s*[+-]?(\d+\.0+|\d+(\.\d+)?[eE][+-]?\d+)\s*$"

# zip (xlsx), OLE2 (xls), Parquet, PDF, gzip: exports saved in the wrong format
_BINARY_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"PAR1", b"%PDF", b"\x1f\x8b")
_SURROGATE = re.compile("[\udc00-\udcff]")
_KEYS: Final = frozenset(KEY_FIELDS)
CUT_OFF: Final = "the file ends inside a quoted field (cut-off last line)"


@dataclass(slots=True)
class ReadStats:
    """What the readers saw besides rows: files, skipped blank rows, encodings."""

    files: int = 0
    blank: int = 0
    encodings: dict[str, str] = field(default_factory=dict)
    #: Files that could not be read (to their end), by path: the one-line reason.
    failed: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Layout:
    """How one file's columns map onto the canonical fields.

    ``headers`` are the file's own names (a repeated unknown name gets ``#2``, ``#3``);
    ``fields`` the column of each of :data:`~scalpernet.records.FIELDS` (``None``: the file
    lacks it); ``extra`` the unknown columns as ``(index, header)``.
    """

    headers: tuple[str, ...]
    fields: tuple[int | None, ...]
    extra: tuple[tuple[int, str], ...]
    mapped: dict[str, str]  # canonical field -> the file's header

    @property
    def width(self) -> int:
        return len(self.headers)

    def batch(self, file: str, lines: Sequence[int] | np.ndarray,
              columns: list[pa.Array]) -> TextBatch:
        return TextBatch(file, np.asarray(lines, dtype=np.int64), columns, self.headers,
                         self.fields, self.extra)


# -- header mapping ------------------------------------------------------------------------
def load_mapping(path: Path) -> dict[str, str]:
    """Read a user mapping file ``{their_header: canonical_field}`` (YAML or TOML).

    A top-level ``columns`` table is accepted too. Raises :class:`InputError` for an
    unreadable file or a target that is not a canonical field name.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
        if path.suffix.lower() == ".toml":
            data: Any = tomllib.loads(text)
        else:
            data = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"mapping file {path}: cannot read it ({type(exc).__name__})") from None
    if isinstance(data, dict) and isinstance(data.get("columns"), dict):
        data = data["columns"]
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise InputError(f"mapping file {path}: expected a table of header: field names")
    unknown = sorted(v for v in data.values() if v not in FIELD_SET)
    if unknown:
        raise InputError(f"mapping file {path}: {', '.join(unknown)} not a field; fields are "
                         + ", ".join(FIELDS))
    return {normalise_header(k): v for k, v in data.items()}


def build_layout(headers: Sequence[str], mapping: dict[str, str] | None, source: str,
                 *, require: bool = True) -> Layout:
    """Resolve headers to fields: user mapping first, then canonical names, then aliases.

    ``require``: every required field must have a column (files with a header); JSON Lines
    objects may omit keys, and such a row is quarantined instead.
    """
    mapping = mapping or {}
    names: list[str] = []
    seen_names: dict[str, int] = {}
    mapped: dict[str, str] = {}
    index_of: dict[str, int] = {}
    extra: list[tuple[int, str]] = []
    for i, header in enumerate(headers):
        name = header.replace("\ufeff", "").strip() or f"column_{i + 1}"
        target = mapping.get(normalise_header(name)) or canonical_field(name)
        if target is not None:
            if target in mapped:
                raise InputError(f"{source}: columns {mapped[target]!r} and {name!r} both "
                                 f"map to {target!r}; say which one in a mapping file")
            mapped[target] = name
            index_of[target] = i
        else:
            count = seen_names.get(name, 0) + 1
            seen_names[name] = count
            if count > 1:
                name = f"{name}#{count}"
            extra.append((i, name))
        names.append(name)
    if require:
        missing = [f for f in REQUIRED if f not in mapped]
        if missing:
            raise InputError(f"{source}: no column for required field(s) {', '.join(missing)}; "
                             f"headers are {', '.join(names)[:300]}; map them with --mapping")
    return Layout(tuple(names), tuple(index_of.get(f) for f in FIELDS), tuple(extra), mapped)



# -- paths -----------------------------------------------------------------------------------
def source_files(paths: Iterable[Path | str], ignored: list[Path] | None = None) -> list[Path]:
    """The export files named, folders walked recursively; sorted within each folder.

    A file named explicitly is read whatever its suffix (by content type from the suffix,
    CSV when unknown); a missing path raises :class:`InputError`. Files in a folder without
    an export suffix are not read; ``ignored`` receives them, so they can be told.
    """
    files: list[Path] = []
    for entry in map(Path, paths):
        if entry.is_dir():
            found = sorted(p for p in entry.rglob("*") if p.is_file())
            files.extend(p for p in found if p.suffix.lower() in SUFFIXES)
            if ignored is not None:
                ignored.extend(p for p in found if p.suffix.lower() not in SUFFIXES)
        elif entry.is_file():
            files.append(entry)
        else:
            raise InputError(f"{entry}: no such file or folder")
    return files


def read_file(path: Path, mapping: dict[str, str] | None = None,
              stats: ReadStats | None = None) -> Iterator[TextBatch | QuarantineItem]:
    """Rows of one export file, by its suffix: Parquet, JSON Lines, else CSV.

    Identifiers written as numbers in text are read exactly (see the module); a file that
    cannot be read raises :class:`InputError` naming it (an I/O error is not a bad row)."""
    stats = stats if stats is not None else ReadStats()
    stats.files += 1
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        rows = read_parquet(path, mapping, stats)
    elif suffix in (".jsonl", ".ndjson"):
        rows = read_jsonl(path, mapping, stats)
    else:
        rows = read_csv(path, mapping, stats)
    return _exact(path, rows)


def _exact(path: Path, rows: Iterator[TextBatch | QuarantineItem]
           ) -> Iterator[TextBatch | QuarantineItem]:
    try:
        for item in rows:
            if isinstance(item, QuarantineItem):
                yield item
                continue
            batch, inexact = _number_texts(item)
            yield from inexact
            yield batch
    except (OSError, pa.ArrowException) as exc:
        reason = getattr(exc, "strerror", None) or " ".join(str(exc).split())[:200]
        raise InputError(printable(f"{path}: cannot read it to its end ({reason})")) from exc


def _number_texts(batch: TextBatch) -> tuple[TextBatch, list[QuarantineItem]]:
    """Digit identifiers written as numbers in text, as their digits; inexact ones out."""
    wrong: dict[int, str] = {}
    columns = list(batch.columns)
    for name in NUMERIC_IDS:
        index = batch.fields[FIELDS.index(name)]
        if index is None:
            continue
        column = columns[index]
        found = pc.match_substring_regex(column, _NUMBER_TEXT)
        if not pc.any(found).as_py():
            continue
        values = column.to_pylist()
        for i in np.flatnonzero(found.to_numpy(zero_copy_only=False)).tolist():
            digits = _text_integer(values[i])
            if digits is None:
                wrong.setdefault(i, name)
            else:
                values[i] = digits
        columns[index] = pa.array(values, pa.string())
    batch = TextBatch(batch.file, batch.lines, columns, batch.headers, batch.fields,
                      batch.extra)
    if not wrong:
        return batch, []
    items = [QuarantineItem(batch.file, int(batch.lines[i]), batch.raw(i),
                            f"inexact_number:{name}",
                            f"{name!r} is written in exponent notation that hides its last "
                            "digits: not an exact identifier") for i, name in sorted(wrong.items())]
    keep = np.ones(len(batch), dtype=bool)
    keep[sorted(wrong)] = False
    mask = pa.array(keep)
    return TextBatch(batch.file, batch.lines[keep], [c.filter(mask) for c in columns],
                     batch.headers, batch.fields, batch.extra), items


def _text_integer(text: str) -> str | None:
    """The digits a number written as text stands for, or ``None`` when its exponent hides
    some (``1.5E+3``: 1500, or 1549?)."""
    text = text.strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if "e" not in text.lower():
        return str(int(value))  # 17616710332.0: a whole number written with its point
    mantissa = text.lower().split("e", 1)[0].lstrip("+-").replace(".", "").lstrip("0")
    if value != value.to_integral_value():
        return None
    whole = str(abs(int(value)))
    if len(mantissa.rstrip("0") or "0") > len(whole) or len(mantissa) < len(whole):
        return None
    return ("-" if value < 0 else "") + whole


def _blank(batch: TextBatch, stats: ReadStats) -> TextBatch:
    """The batch without its rows whose every cell is empty (counted as blank)."""
    if not batch.columns:
        return batch
    empty = pc.equal(pc.utf8_length(batch.columns[0]), 0)
    for column in batch.columns[1:]:
        empty = pc.and_(empty, pc.equal(pc.utf8_length(column), 0))
    blank = pc.sum(empty).as_py() or 0
    if not blank:
        return batch
    stats.blank += blank
    keep = pc.invert(empty)
    return TextBatch(batch.file, batch.lines[keep.to_numpy(zero_copy_only=False)],
                     [c.filter(keep) for c in batch.columns], batch.headers, batch.fields,
                     batch.extra)


def _undecodable(batch: TextBatch, encoding: str) -> tuple[TextBatch, list[QuarantineItem]]:
    """Rows holding bytes that are not valid text, quarantined; the batch without them."""
    bad: set[int] = set()
    for column in batch.columns:
        try:
            column.validate(full=True)
        except pa.ArrowInvalid:
            for i, value in enumerate(column.cast(pa.binary()).to_pylist()):
                try:
                    value.decode("utf-8")
                except UnicodeDecodeError:
                    bad.add(i)
    if not bad:
        return batch, []
    items = []
    for i in sorted(bad):
        raw = {h: c.cast(pa.binary())[i].as_py().decode("utf-8", "surrogateescape")
               for h, c in zip(batch.headers, batch.columns, strict=True)}
        items.append(QuarantineItem(batch.file, int(batch.lines[i]), raw, "bad_encoding",
                                    f"bytes that are not valid {encoding}"))
    keep = np.ones(len(batch), dtype=bool)
    keep[sorted(bad)] = False
    mask = pa.array(keep)
    columns = [pc.cast(c.cast(pa.binary()).filter(mask), pa.string()) for c in batch.columns]
    return TextBatch(batch.file, batch.lines[keep], columns, batch.headers, batch.fields,
                     batch.extra), items


# -- CSV -------------------------------------------------------------------------------------
def _count_undecodable(head: bytes, encoding: str) -> tuple[int, int]:
    """(undecodable bytes, non-ASCII characters) when ``head`` is read as ``encoding``."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="surrogateescape")
    text = decoder.decode(head, final=False)  # the sample may end inside a character
    errors = len(_SURROGATE.findall(text))
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))  # C speed on a 1 MiB sample
    return errors, non_ascii - errors


def detect_encoding(head: bytes) -> str:
    """``utf-8-sig``, ``utf-16``, ``utf-8`` or ``gb18030`` for the head of a text file.

    UTF-8 wins unless the sample has undecodable bytes (more than one in twenty non-ASCII
    characters: a few damaged bytes do not make a UTF-8 file GB18030). GB18030 covers GBK and
    GB2312. A head that is all ASCII is read as UTF-8.
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    errors, chars = _count_undecodable(head, "utf-8")
    if errors == 0 or errors * 20 < chars:
        return "utf-8"
    gb_errors, _ = _count_undecodable(head, "gb18030")
    return "gb18030" if gb_errors < errors else "utf-8"


def detect_delimiter(header_line: str, suffix: str = "") -> str:
    """The delimiter used most in the header line; tab for ``.tsv``; comma when none."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    if suffix == ".tsv" and counts["\t"]:
        return "\t"
    best = max(DELIMITERS, key=lambda d: counts[d])  # ties keep the order above
    return best if counts[best] else ","


class _Recoded(io.RawIOBase):
    """A file in another encoding, read as UTF-8 for the CSV reader; undecodable bytes pass
    through unchanged (so they stay invalid UTF-8, and the row is quarantined)."""

    def __init__(self, binary: io.BufferedReader, encoding: str) -> None:
        self._binary = binary
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="surrogateescape")
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = self._binary.read(1 << 20)
            text = self._decoder.decode(chunk, final=not chunk)
            self._pending = text.encode("utf-8", "surrogateescape")
            if not chunk:
                break
        size = min(len(buffer), len(self._pending))
        buffer[:size], self._pending = self._pending[:size], self._pending[size:]
        return size


@dataclass(slots=True)
class _Refused:
    """Rows the CSV reader refused (wrong number of cells): (row number, cells, text)."""

    rows: list[tuple[int, int, str]] = field(default_factory=list)

    def __call__(self, row: Any) -> str:
        self.rows.append((row.number, row.actual_columns, row.text))
        return "skip"


def _breaks(text: str) -> int:
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def _column_breaks(columns: list[pa.Array], n: int) -> np.ndarray:
    """Line breaks inside each row's cells (quoted fields spanning lines)."""
    total = np.zeros(n, dtype=np.int64)
    for column in columns:
        if pc.any(pc.match_substring_regex(column, "[\r\n]")).as_py():
            for text, sign in (("\n", 1), ("\r", 1), ("\r\n", -1)):
                total += sign * pc.count_substring(column, text).to_numpy(zero_copy_only=False)
    return total


def _odd_quotes(path: Path, encoding: str) -> bool:
    """Whether the file holds an odd number of double quotes: it ends inside a quoted field.

    In UTF-8 and GB18030 the byte 0x22 is always a quote; other encodings are decoded."""
    count = 0
    with path.open("rb") as binary:
        if encoding in ("utf-8", "utf-8-sig", "gb18030"):
            while chunk := binary.read(BLOCK_BYTES):
                count += chunk.count(b'"')
        else:
            decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
            while chunk := binary.read(BLOCK_BYTES):
                count += decoder.decode(chunk).count('"')
    return count % 2 == 1


def read_csv(path: Path, mapping: dict[str, str] | None = None,
             stats: ReadStats | None = None) -> Iterator[TextBatch | QuarantineItem]:
    """Rows of a delimited text file; see the module docstring for what is detected."""
    stats = stats if stats is not None else ReadStats()
    source = printable(str(path))  # a name with undecodable bytes, as text Neo4j takes
    with path.open("rb") as binary:
        head = binary.read(SAMPLE_BYTES)
        if head.startswith(_BINARY_MAGIC) or (
                head[:4096].count(0) * 10 > len(head[:4096])
                and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))):
            raise InputError(f"{source}: not a text export (binary content; an .xlsx file "
                             "must be saved as CSV first)")
        encoding = detect_encoding(head)
        stats.encodings[source] = encoding
        lines = head.decode(encoding, errors="replace").lstrip("\ufeff").splitlines()
        skipped = next((i for i, line in enumerate(lines) if line.strip()), None)
        if skipped is None:
            return
        delimiter = detect_delimiter(lines[skipped], path.suffix.lower())
        layout = build_layout(_header(lines[skipped], delimiter), mapping, source)
        cut_off = _odd_quotes(path, encoding)
        done = 0  # the last line yielded: a retry with bigger blocks goes on after it
        block = BLOCK_BYTES
        while True:
            binary.seek(0)
            try:
                for item in _csv_batches(source, encoding, layout,
                                         *_open(binary, encoding, layout, delimiter, block,
                                                skipped), skipped + 2, cut_off, delimiter,
                                         stats):
                    if isinstance(item, QuarantineItem):
                        if item.line > done:
                            yield item
                        continue
                    if len(item) and int(item.lines[-1]) > done:
                        yield item if int(item.lines[0]) > done else _after(item, done)
                        done = int(item.lines[-1])
                return
            except pa.ArrowInvalid as exc:
                if "straddl" not in str(exc) or block >= MAX_BLOCK_BYTES:
                    raise InputError(f"{source}: a row longer than {block >> 20} MiB, or "
                                     f"unreadable CSV ({exc})") from None
                block *= 4  # a row longer than a block: read again, and go on after it


def _after(batch: TextBatch, line: int) -> TextBatch:
    keep = batch.lines > line
    mask = pa.array(keep)
    return TextBatch(batch.file, batch.lines[keep], [c.filter(mask) for c in batch.columns],
                     batch.headers, batch.fields, batch.extra)


def _open(binary: Any, encoding: str, layout: Layout, delimiter: str, block: int,
          skipped: int) -> tuple[Any, _Refused]:
    """pyarrow's streaming CSV reader over the data rows, every column as text."""
    stream: Any = binary if encoding in ("utf-8", "utf-8-sig") else _Recoded(binary, encoding)
    refused = _Refused()
    names = [f"c{i}" for i in range(layout.width)]
    reader = pacsv.open_csv(
        stream,
        read_options=pacsv.ReadOptions(use_threads=False, block_size=block,
                                       skip_rows=skipped + 1, column_names=names),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True,
                                         ignore_empty_lines=False,
                                         invalid_row_handler=refused),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()), check_utf8=False,
            strings_can_be_null=False, quoted_strings_can_be_null=False))
    return reader, refused


def _header(line: str, delimiter: str) -> list[str]:
    """The header line's cells, split by the same reader as the rows."""
    table = pacsv.read_csv(
        io.BytesIO(line.encode("utf-8", "surrogateescape") + b"\n"),
        read_options=pacsv.ReadOptions(autogenerate_column_names=True),
        parse_options=pacsv.ParseOptions(delimiter=delimiter),
        convert_options=pacsv.ConvertOptions(
            check_utf8=False, strings_can_be_null=False, quoted_strings_can_be_null=False,
            column_types={f"f{i}": pa.string() for i in range(line.count(delimiter) + 1)}))
    return [str(c[0].as_py()) if c[0].is_valid else "" for c in table.columns]


def _csv_batches(source: str, encoding: str, layout: Layout, reader: Any,
                 refused: _Refused, first_row: int, cut_off: bool, delimiter: str,
                 stats: ReadStats) -> Iterator[TextBatch | QuarantineItem]:
    """The reader's record batches as text batches with physical line numbers, the rows it
    refused as quarantine items before the batch they fall in, in line order.

    The reader numbers rows (blank and header rows included); a row's physical line is its
    number plus the line breaks inside the quoted cells of every row before it."""
    next_row = first_row  # the number of the first row not placed yet
    shift = 0  # line breaks inside the cells of every row placed so far
    pending: list[tuple[int, int, str]] = []
    held: TextBatch | None = None
    last_refused = 0
    for record_batch in (*_batches(reader), None):
        pending.extend(refused.rows)
        refused.rows.clear()
        pending.sort()
        columns = list(record_batch.columns) if record_batch is not None else []
        n = record_batch.num_rows if record_batch is not None else 0
        numbers = np.setdiff1d(
            np.arange(next_row, next_row + n + len(pending), dtype=np.int64),
            np.array([r for r, _, _ in pending], dtype=np.int64), assume_unique=True)[:n]
        last = int(numbers[-1]) if n else (pending[-1][0] if pending else next_row - 1)
        placed = [p for p in pending if p[0] <= last]
        pending = [p for p in pending if p[0] > last]
        order = np.concatenate([numbers, np.array([r for r, _, _ in placed], np.int64)])
        row_breaks = np.concatenate([_column_breaks(columns, n),
                                     np.array([_breaks(t) for _, _, t in placed], np.int64)])
        sort = np.argsort(order, kind="stable")
        before = np.empty(len(order), np.int64)
        before[sort] = shift + np.cumsum(row_breaks[sort]) - row_breaks[sort]
        physical = order + before
        shift += int(row_breaks.sum())
        next_row = last + 1
        if held is not None and record_batch is not None:
            yield held
            held = None
        for (_, cells, text), line in zip(placed, physical[n:].tolist(), strict=True):
            if all(c in ("", '""') for c in text.rstrip("\r\n").split(delimiter)):  # blank
                stats.blank += 1
                continue
            last_refused = line
            message = (CUT_OFF if cut_off and text.count('"') % 2 else
                       f"{cells} cells where the header has {layout.width}")
            yield QuarantineItem(source, line, text, "row_shape", message)
        if record_batch is None:
            break
        batch = _blank(layout.batch(source, physical[:n], columns), stats)
        batch, bad = _undecodable(batch, encoding)
        yield from bad
        held = batch
    if held is not None:
        if cut_off and len(held) and int(held.lines[-1]) > last_refused:
            last_row = len(held) - 1
            yield QuarantineItem(source, int(held.lines[last_row]), held.raw(last_row),
                                 "row_shape", CUT_OFF)
            keep = pa.array([True] * last_row + [False])
            held = TextBatch(held.file, held.lines[:last_row],
                             [c.filter(keep) for c in held.columns], held.headers,
                             held.fields, held.extra)
        yield held


def _batches(reader: Any) -> Iterator[pa.RecordBatch]:
    while True:
        try:
            yield reader.read_next_batch()
        except StopIteration:
            return
# -- typed values ----------------------------------------------------------------------------
class Inexact(ValueError):
    """A number that does not hold an identifier exactly."""


def _number_text(value: int | float, identifier: bool) -> str:
    """A JSON number as text; an identifier's must be an exact integer (see the module)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if not identifier:
        return str(value)
    if isinstance(value, int):
        if not -(2**63) <= value < 2**63:
            raise Inexact("an integer beyond the int64 range")
        return str(value)
    if math.isnan(value):
        return ""
    if not value.is_integer():
        raise Inexact("a number with a fraction")
    if abs(value) >= EXACT_FLOAT:
        raise Inexact("a float beyond the range it holds integers exactly in")
    return str(int(value))


def _cell(value: Any, identifier: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return _number_text(value, identifier)
    if isinstance(value, list | dict):
        return orjson.dumps(value, default=str).decode("utf-8")
    return str(value)  # a Decimal, a date: their exact text


# -- JSON Lines ------------------------------------------------------------------------------
def read_jsonl(path: Path, mapping: dict[str, str] | None = None,
               stats: ReadStats | None = None) -> Iterator[TextBatch | QuarantineItem]:
    """Rows of a JSON Lines file: one object per line, values turned into text."""
    stats = stats if stats is not None else ReadStats()
    source = printable(str(path))  # a name with undecodable bytes, as text Neo4j takes
    layouts: dict[tuple[str, ...], Layout] = {}
    rows: list[list[str]] = []
    lines: list[int] = []
    layout: Layout | None = None

    def flush() -> Iterator[TextBatch]:
        if rows and layout is not None:
            columns = [pa.array(c, pa.string()) for c in zip(*rows, strict=True)]
            yield layout.batch(source, lines, columns)
        rows.clear()
        lines.clear()

    with path.open("rb") as binary:
        line_no = 0
        while chunk := binary.readline(LINE_CAP):
            line_no += 1
            if line_no == 1 and chunk.startswith(codecs.BOM_UTF8):
                chunk = chunk[3:]
            if not chunk.endswith(b"\n") and len(chunk) == LINE_CAP:
                while (rest := binary.readline(LINE_CAP)) and not rest.endswith(b"\n"):
                    pass
                yield QuarantineItem(source, line_no, chunk.decode("utf-8", "replace"),
                                     "field_too_large", f"a line longer than {LINE_CAP} bytes")
                continue
            if not chunk.strip():
                stats.blank += 1
                continue
            item = _json_object(source, line_no, chunk)
            if isinstance(item, QuarantineItem):
                yield item
                continue
            if not item:
                stats.blank += 1
                continue
            keys = tuple(item)
            found = layouts.get(keys)
            if found is None:
                try:
                    found = build_layout(keys, mapping, source, require=False)
                except InputError as exc:  # one odd object must not stop the file
                    yield QuarantineItem(source, line_no, item, "ambiguous_columns",
                                         str(exc).split(": ", 1)[-1])
                    continue
                if len(layouts) < 1024:  # bounded: a file with ever-changing keys stays flat
                    layouts[keys] = found
            cells = _cells(source, line_no, item, found)
            if isinstance(cells, QuarantineItem):
                yield cells
                continue
            if found is not layout or len(rows) >= BATCH_ROWS:
                yield from flush()
                layout = found
            rows.append(cells)
            lines.append(line_no)
    yield from flush()


def _cells(source: str, line_no: int, item: dict[str, Any],
           layout: Layout) -> list[str] | QuarantineItem:
    """An object's values as text in its layout's column order."""
    cells = []
    for index, value in enumerate(item.values()):
        name = _field_of(layout, index)
        try:
            cells.append(_cell(value, name in _KEYS))
        except Inexact as exc:
            return QuarantineItem(source, line_no, item, f"inexact_number:{name}",
                                  f"{name!r} is {exc}: not an exact identifier")
    return cells


def _field_of(layout: Layout, index: int) -> str | None:
    return next((f for f, i in zip(FIELDS, layout.fields, strict=True) if i == index), None)


def _json_object(source: str, line_no: int, chunk: bytes) -> dict[str, Any] | QuarantineItem:
    try:
        obj = orjson.loads(chunk)
    except orjson.JSONDecodeError as exc:
        try:
            text = chunk.decode("utf-8")
        except UnicodeDecodeError:
            return QuarantineItem(source, line_no, chunk.decode("utf-8", "surrogateescape"),
                                  "bad_encoding", "bytes that are not valid UTF-8")
        if "64-bit" in str(exc):
            return QuarantineItem(source, line_no, text.rstrip("\r\n"), "inexact_number",
                                  "a number beyond the int64 range")
        return QuarantineItem(source, line_no, text.rstrip("\r\n"), "bad_json",
                              "not valid JSON (cut-off or damaged line)")
    if not isinstance(obj, dict):
        return QuarantineItem(source, line_no, chunk.decode("utf-8").rstrip("\r\n"),
                              "bad_json", f"a JSON {type(obj).__name__}, not an object")
    return obj


# -- Parquet ---------------------------------------------------------------------------------
def _typed_text(column: pa.Array, identifier: bool) -> tuple[pa.Array, pa.Array | None]:
    """A typed column as text, and (identifiers only) the mask of rows it does not hold
    exactly (``None``: every row is exact)."""
    kind = column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return pc.fill_null(column.cast(pa.string()), ""), None
    if pa.types.is_timestamp(kind) and kind.tz is not None:  # an instant: say it in +08:00
        local = pc.strftime(column.cast(pa.timestamp("us", tz="+08:00")),
                            format="%Y-%m-%dT%H:%M:%S")
        return pc.fill_null(pc.binary_join_element_wise(local, "+08:00", ""), ""), None
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):
        values = [v.decode("utf-8", "surrogateescape") if v is not None else ""
                  for v in column.to_pylist()]
        return pa.array(values, pa.string()), None
    inexact = None
    if identifier and pa.types.is_floating(kind):
        floats = column.cast(pa.float64())
        floats = pc.if_else(pc.is_nan(floats), pa.scalar(None, pa.float64()), floats)
        exact = float(EXACT_BY_WIDTH[kind.bit_width])
        inexact = pc.fill_null(pc.or_(pc.not_equal(pc.floor(floats), floats),
                                      pc.greater_equal(pc.abs(floats), exact)), False)
        whole = pc.if_else(inexact, 0.0, floats)
        column = pc.if_else(pc.is_null(floats), pa.scalar(None, pa.int64()),
                            pc.cast(whole, pa.int64()))
    elif identifier and pa.types.is_decimal(kind):
        scaled = pc.round(column, 0)
        inexact = pc.fill_null(pc.not_equal(scaled, column), False)
        limit = pa.scalar(2**63 - 1).cast(pa.decimal128(38, 0))
        inexact = pc.or_(inexact, pc.fill_null(
            pc.greater(pc.abs(pc.cast(scaled, pa.decimal128(38, 0))), limit), False))
        column = pc.if_else(inexact, pa.scalar(None, kind), scaled)
        column = pc.cast(pc.cast(column, pa.decimal128(38, 0)), pa.string())
        return pc.fill_null(column, ""), inexact
    elif identifier and pa.types.is_unsigned_integer(kind):
        inexact = pc.fill_null(pc.greater(column, pa.scalar(2**63 - 1, kind)), False)
    try:
        text = pc.cast(column, pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        text = pa.array([_cell(v, False) for v in column.to_pylist()], pa.string())
    return pc.fill_null(text, ""), inexact


def read_parquet(path: Path, mapping: dict[str, str] | None = None,
                 stats: ReadStats | None = None) -> Iterator[TextBatch | QuarantineItem]:
    """Rows of a Parquet file, batch by batch; "line" is the 1-based row number."""
    import pyarrow.parquet as pq

    stats = stats if stats is not None else ReadStats()
    source = printable(str(path))  # a name with undecodable bytes, as text Neo4j takes
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{source}: not a readable Parquet file ({exc})") from None
    layout = build_layout(parquet.schema_arrow.names, mapping, source)
    fields = [_field_of(layout, i) for i in range(layout.width)]
    row = 1
    with parquet:
        for record_batch in parquet.iter_batches(batch_size=BATCH_ROWS):
            n = record_batch.num_rows
            lines = np.arange(row, row + n, dtype=np.int64)
            row += n
            columns, keep = [], np.ones(n, dtype=bool)
            wrong: dict[int, str] = {}
            for column, name in zip(record_batch.columns, fields, strict=True):
                text, inexact = _typed_text(column, name in _KEYS)
                columns.append(text)
                if inexact is not None and pc.any(inexact).as_py():
                    for i in np.flatnonzero(inexact.to_numpy(zero_copy_only=False)).tolist():
                        wrong.setdefault(i, name)  # type: ignore[arg-type]
            for i, name in sorted(wrong.items()):
                keep[i] = False
                raw = {h: _cell(c[i].as_py(), False) if not isinstance(c[i].as_py(), str)
                       else c[i].as_py() for h, c in zip(layout.headers, record_batch.columns,
                                                        strict=True)}
                yield QuarantineItem(source, int(lines[i]), raw, f"inexact_number:{name}",
                                     f"{name!r} is a number that does not hold an identifier "
                                     "exactly (a fraction, or beyond the range its type "
                                     "holds integers exactly in)")
            if wrong:
                mask = pa.array(keep)
                columns = [c.filter(mask) for c in columns]
                lines = lines[keep]
            batch = _blank(layout.batch(source, lines, columns), stats)
            batch, bad = _undecodable(batch, "UTF-8")
            yield from bad
            yield batch

"""Streaming readers for hospital registration exports: CSV, JSON Lines and Parquet.

Exports arrive as whatever the hospital's system writes: UTF-8, UTF-8 with BOM, GB18030/GBK,
Excel's UTF-16 "Unicode text", comma, tab, semicolon or ``|`` separated, CRLF, Chinese or
English headers, or the user's own headers mapped with a small file. The readers stream (a
5 GB export never sits in memory) and yield, per data row, a :class:`RawRow` (file, physical
starting line, cells, the file's column :class:`Layout`) or a
:class:`~scalpernet.ingest.quarantine.QuarantineItem` for a row that cannot even be split
into cells (wrong number of cells, cut-off last line, undecodable bytes, bad JSON).

Blank lines and rows whose every cell is empty are not rows; they are counted in
:class:`ReadStats` and skipped. For Parquet the "line" is the 1-based row number.

A file whose header cannot be used (no column for a required field, two columns naming one
field) raises :class:`~scalpernet.errors.InputError` before any row is read: fixing the
mapping is better than quarantining a million rows.
"""

from __future__ import annotations

import _csv
import codecs
import csv
import io
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from operator import itemgetter
from pathlib import Path
from typing import Any, Final

import orjson
import yaml

from scalpernet.errors import InputError
from scalpernet.ingest.quarantine import QuarantineItem
from scalpernet.records import FIELD_SET, FIELDS, REQUIRED, canonical_field, normalise_header

#: File suffixes picked up when walking a folder.
SUFFIXES: Final = (".csv", ".tsv", ".txt", ".jsonl", ".ndjson", ".parquet")
#: Bytes sampled from the head of a CSV file to detect its encoding and delimiter.
SAMPLE_BYTES: Final = 1 << 20
#: Longest physical line read at once; a longer one is cut (its row ends up quarantined).
LINE_CAP: Final = 32 << 20
#: Longest field the CSV parser accepts; beyond it the parser gives up on the row.
CSV_FIELD_LIMIT: Final = 16 << 20
#: Rows per Parquet batch.
PARQUET_BATCH: Final = 8192
DELIMITERS: Final = (",", "\t", ";", "|")

# zip (xlsx), OLE2 (xls), Parquet, PDF, gzip: exports saved in the wrong format
_BINARY_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"PAR1", b"%PDF", b"\x1f\x8b")
_SURROGATE = re.compile("[\udc00-\udcff]")


@dataclass(slots=True)
class ReadStats:
    """What the readers saw besides rows: files and skipped blank rows."""

    files: int = 0
    blank: int = 0
    encodings: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Layout:
    """How one file's columns map onto the canonical fields.

    ``headers`` are the file's own names (a repeated unknown name gets ``#2``, ``#3``);
    ``fields`` picks the cells in :data:`~scalpernet.records.FIELDS` order from a row with
    one empty cell appended (a field the file lacks points at it); ``indexes`` are the same
    cell positions as numbers (``width`` for a field the file lacks); ``extra`` lists the
    unknown columns as ``(index, header)``.
    """

    headers: tuple[str, ...]
    fields: itemgetter  # type: ignore[type-arg]
    extra: tuple[tuple[int, str], ...]
    mapped: dict[str, str]  # canonical field -> the file's header
    indexes: tuple[int, ...] = ()

    @property
    def width(self) -> int:
        return len(self.headers)


@dataclass(slots=True)
class RawRow:
    """One data row as read: cells in the file's column order."""

    file: str
    line: int
    cells: list[str]
    layout: Layout

    def values(self) -> tuple[Sequence[str], dict[str, str]]:
        """The cells in canonical field order, and the unknown columns by header."""
        layout = self.layout
        cells = self.cells
        extra = {name: cells[i] for i, name in layout.extra} if layout.extra else {}
        cells.append("")  # the cell every absent field points at
        try:
            return layout.fields(cells), extra
        finally:
            cells.pop()

    def raw(self) -> dict[str, str]:
        """The row as read, by the file's own headers (for the quarantine file)."""
        return dict(zip(self.layout.headers, self.cells, strict=False))


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
    width = len(names)
    indexes = tuple(index_of.get(f, width) for f in FIELDS)
    return Layout(tuple(names), itemgetter(*indexes), tuple(extra), mapped, indexes)


# -- paths -----------------------------------------------------------------------------------
def source_files(paths: Iterable[Path | str]) -> list[Path]:
    """The export files named, folders walked recursively; sorted within each folder.

    A file named explicitly is read whatever its suffix (by content type from the suffix,
    CSV when unknown); a missing path raises :class:`InputError`.
    """
    files: list[Path] = []
    for entry in map(Path, paths):
        if entry.is_dir():
            files.extend(sorted(
                p for p in entry.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES
            ))
        elif entry.is_file():
            files.append(entry)
        else:
            raise InputError(f"{entry}: no such file or folder")
    return files


def read_file(path: Path, mapping: dict[str, str] | None = None,
              stats: ReadStats | None = None) -> Iterator[RawRow | QuarantineItem]:
    """Rows of one export file, by its suffix: Parquet, JSON Lines, else CSV."""
    stats = stats if stats is not None else ReadStats()
    stats.files += 1
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return read_parquet(path, mapping, stats)
    if suffix in (".jsonl", ".ndjson"):
        return read_jsonl(path, mapping, stats)
    return read_csv(path, mapping, stats)


# -- CSV -------------------------------------------------------------------------------------
_decode_errors = [0]


def _mark_undecodable(exc: UnicodeError) -> tuple[str, int]:
    """Like ``surrogateescape``, and counts: rows are checked only after an error happened."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    _decode_errors[0] += 1
    bad = exc.object[exc.start:exc.end]
    return "".join(chr(0xDC00 + b) for b in bad), exc.end


codecs.register_error("scalpernet.mark", _mark_undecodable)


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


def _lines(text: io.TextIOBase) -> Iterator[str]:
    """Physical lines, none longer than :data:`LINE_CAP` (a 5 GB line must not be read).

    ``iter(callable, "")`` rather than a generator: lines are pulled without a Python frame
    in between.
    """
    return iter(partial(text.readline, LINE_CAP), "")


def _quarantine_unparsable(source: str, line: int, end: int, exc: csv.Error) -> QuarantineItem:
    """The item for lines ``line``-``end`` that the CSV parser gave up on."""
    message = str(exc)
    if "field limit" in message:
        return QuarantineItem(source, line, None, "field_too_large",
                              f"a field is longer than {CSV_FIELD_LIMIT} characters; "
                              f"lines {line}-{end} skipped")
    if "end of data" in message:
        message = "the file ends inside a quoted field (cut-off last line)"
    return QuarantineItem(source, line, None, "row_shape", f"malformed quoting: {message}")


@dataclass(frozen=True, slots=True)
class CsvSpec:
    """How every data row of one delimited file is split and named, known from its head."""

    source: str
    encoding: str
    delimiter: str
    layout: Layout


@dataclass(slots=True)
class CsvFile:
    """An open delimited file after its header: the physical lines still to read.

    ``data_offset``: the byte offset of the first line after the header, for encodings in
    which a line can be found in the bytes (``None`` otherwise).
    """

    spec: CsvSpec
    path: Path
    lines: Iterator[str]
    read: int  # physical lines consumed by the header
    undecodable: Callable[[], bool]  # whether any byte read so far failed to decode
    data_offset: int | None = None


#: Encodings in which the byte 0x0A is always a line feed (never part of another character),
#: and the codec that decodes a file's lines from a line start on.
LINE_ENCODINGS: Final = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "gb18030": "gb18030"}


@dataclass(frozen=True, slots=True)
class Unfinished:
    """The lines ran out inside the quoted field of a row that starts at ``line``."""

    line: int


@contextmanager
def open_csv(path: Path, mapping: dict[str, str] | None = None,
             stats: ReadStats | None = None) -> Iterator[CsvFile | None]:
    """Open a delimited file, detect its encoding and delimiter, read its header.

    Yields ``None`` for a file without a header (empty or blank).
    """
    source = str(path)
    with path.open("rb") as binary:
        head = binary.read(SAMPLE_BYTES)
        if head.startswith(_BINARY_MAGIC) or (
                head[:4096].count(0) * 10 > len(head[:4096])
                and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))):
            raise InputError(f"{source}: not a text export (binary content; an .xlsx file "
                             "must be saved as CSV first)")
        encoding = detect_encoding(head)
        if stats is not None:
            stats.encodings[source] = encoding
        sample = head.decode(encoding, errors="replace")
        header_line = sample.lstrip("\ufeff").splitlines()[0] if sample.strip() else ""
        delimiter = detect_delimiter(header_line, path.suffix.lower())
        binary.seek(0)
        # before the first read: the wrapper decodes whole chunks ahead of the parser
        errors_before = _decode_errors[0]
        text = io.TextIOWrapper(binary, encoding=encoding, errors="scalpernet.mark",
                                newline="")
        lines = _lines(text)
        reader = csv_reader(lines, delimiter)
        try:
            header = next(reader)
            while not any(cell.strip() for cell in header):  # blank lines before the header
                header = next(reader)
        except StopIteration:
            yield None
            return
        except csv.Error as exc:
            raise InputError(f"{source}: the header line cannot be read ({exc})") from None
        spec = CsvSpec(source, encoding, delimiter, build_layout(header, mapping, source))
        offset = _line_offset(head, reader.line_num) if encoding in LINE_ENCODINGS else None
        yield CsvFile(spec, path, lines, reader.line_num,
                      lambda: _decode_errors[0] != errors_before, offset)


_LINE_END = re.compile(rb"\r\n|\r|\n")


def _line_offset(head: bytes, lines: int) -> int | None:
    """The byte offset after the first ``lines`` physical lines of ``head`` (the start of a
    file in an encoding of :data:`LINE_ENCODINGS`); ``None`` when ``head`` does not show it."""
    for count, end in enumerate(_LINE_END.finditer(head), start=1):
        if count == lines:
            if end.group() == b"\r" and end.end() == len(head):
                return None  # a "\n" may follow, beyond the head
            return end.end()
    return None


def read_csv(path: Path, mapping: dict[str, str] | None = None,
             stats: ReadStats | None = None) -> Iterator[RawRow | QuarantineItem]:
    """Rows of a delimited text file; see the module docstring for what is detected."""
    with open_csv(path, mapping, stats) as opened:
        if opened is not None:
            yield from csv_rows(opened.spec, opened.lines, opened.read,  # type: ignore[misc]
                                opened.undecodable, stats)


def csv_reader(lines: Iterable[str], delimiter: str) -> _csv.Reader:
    """The csv parser of every delimited file: double quotes, strict, fields up to
    :data:`CSV_FIELD_LIMIT`, which lets a 10 MB field be read whole and quarantined with its
    neighbours intact instead of derailing the parser (a global of the csv module: set on
    each use)."""
    csv.field_size_limit(CSV_FIELD_LIMIT)
    return csv.reader(lines, delimiter=delimiter, quotechar='"', strict=True)


def csv_rows(spec: CsvSpec, lines: Iterator[str], read: int, undecodable: Callable[[], bool],
             stats: ReadStats | None, *, final: bool = True,
             ) -> Iterator[RawRow | QuarantineItem | Unfinished]:
    """The data rows in ``lines``, physical lines after the first ``read`` of the file.

    A line without a quote character (and shorter than :data:`CSV_FIELD_LIMIT`) is one
    whole row whose cells are the line split at the delimiter: exactly what the CSV parser
    makes of it, about twice as fast. Every other line starts a row that the parser reads,
    over as many physical lines as its quoted fields span. ``undecodable`` says whether rows
    must be searched for undecodable bytes. Unless ``final`` (the lines are only part of the
    file), lines that end inside a quoted field end the rows with :class:`Unfinished`.
    """
    source, delimiter, layout = spec.source, spec.delimiter, spec.layout
    width = layout.width
    # The parser reads a line handed back to it first, then the next lines.
    handed: list[str] = []

    def next_line() -> str:
        return handed.pop() if handed else next(lines, "")

    reader = csv_reader(iter(next_line, ""), delimiter)
    for physical in lines:
        if '"' not in physical and len(physical) <= CSV_FIELD_LIMIT:
            read += 1
            start = read
            cells = physical.rstrip("\r\n").split(delimiter)
        else:
            start = read + 1
            handed.append(physical)
            parsed = reader.line_num
            try:
                cells = next(reader)
            except StopIteration:  # pragma: no cover - the parser was handed a line
                return
            except csv.Error as exc:
                read += reader.line_num - parsed
                if not final and "end of data" in str(exc):
                    yield Unfinished(start)
                    return
                yield _quarantine_unparsable(source, start, read, exc)
                continue
            read += reader.line_num - parsed
        if len(cells) != width:
            if not any(cells):
                if stats is not None:
                    stats.blank += 1
                continue
            if len(cells) > width and not any(cells[width:]):
                del cells[width:]  # trailing delimiters, as Excel writes them
            else:
                yield QuarantineItem(source, start, cells, "row_shape",
                                     f"{len(cells)} cells where the header has {width}")
                continue
        elif not any(cells):
            if stats is not None:
                stats.blank += 1
            continue
        if undecodable() and _SURROGATE.search("".join(cells)):
            yield QuarantineItem(source, start, dict(zip(layout.headers, cells, strict=True)),
                                 "bad_encoding", f"bytes that are not valid {spec.encoding}")
            continue
        yield RawRow(source, start, cells, layout)


# -- JSON Lines ------------------------------------------------------------------------------
def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return orjson.dumps(value).decode("utf-8")


def read_jsonl(path: Path, mapping: dict[str, str] | None = None,
               stats: ReadStats | None = None) -> Iterator[RawRow | QuarantineItem]:
    """Rows of a JSON Lines file: one object per line, values turned into text."""
    source = str(path)
    layouts: dict[tuple[str, ...], Layout] = {}
    with path.open("rb") as binary:
        line_no = 0
        while chunk := binary.readline(LINE_CAP):
            line_no += 1
            if line_no == 1 and chunk.startswith(codecs.BOM_UTF8):
                chunk = chunk[3:]
            if not chunk.endswith(b"\n") and len(chunk) == LINE_CAP:
                while (rest := binary.readline(LINE_CAP)) and not rest.endswith(b"\n"):
                    pass
                yield QuarantineItem(source, line_no, chunk[:4096].decode("utf-8", "replace"),
                                     "field_too_large", f"a line longer than {LINE_CAP} bytes")
                continue
            if not chunk.strip():
                if stats is not None:
                    stats.blank += 1
                continue
            try:
                obj = orjson.loads(chunk)
            except orjson.JSONDecodeError:
                try:
                    text = chunk.decode("utf-8")
                except UnicodeDecodeError:
                    yield QuarantineItem(source, line_no, chunk.decode("utf-8", "surrogateescape"),
                                         "bad_encoding", "bytes that are not valid UTF-8")
                    continue
                yield QuarantineItem(source, line_no, text.rstrip("\r\n"), "bad_json",
                                     "not valid JSON (cut-off or damaged line)")
                continue
            if not isinstance(obj, dict):
                yield QuarantineItem(source, line_no, chunk.decode("utf-8").rstrip("\r\n"),
                                     "bad_json", f"a JSON {type(obj).__name__}, not an object")
                continue
            if not obj:
                if stats is not None:
                    stats.blank += 1
                continue
            keys = tuple(obj)
            layout = layouts.get(keys)
            if layout is None:
                try:
                    layout = build_layout(keys, mapping, source, require=False)
                except InputError as exc:  # one odd object must not stop the file
                    yield QuarantineItem(source, line_no, obj, "ambiguous_columns",
                                         str(exc).split(": ", 1)[-1])
                    continue
                if len(layouts) < 1024:  # bounded: a file with ever-changing keys stays flat
                    layouts[keys] = layout
            yield RawRow(source, line_no, [_cell(v) for v in obj.values()], layout)


# -- Parquet ---------------------------------------------------------------------------------
def _column_text(column: Any) -> list[str]:
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return pc.fill_null(column, "").to_pylist()  # type: ignore[no-any-return]
    try:
        return pc.fill_null(pc.cast(column, pa.string()), "").to_pylist()  # type: ignore[no-any-return]
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return [_cell(v) if not isinstance(v, bytes) else v.decode("utf-8", "surrogateescape")
                for v in column.to_pylist()]


def read_parquet(path: Path, mapping: dict[str, str] | None = None,
                 stats: ReadStats | None = None) -> Iterator[RawRow | QuarantineItem]:
    """Rows of a Parquet file, batch by batch; "line" is the 1-based row number."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = str(path)
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{source}: not a readable Parquet file ({exc})") from None
    layout = build_layout(parquet.schema_arrow.names, mapping, source)
    row = 0
    with parquet:
        for batch in parquet.iter_batches(batch_size=PARQUET_BATCH):
            columns = [_column_text(col) for col in batch.columns]
            for cells in zip(*columns, strict=True):
                row += 1
                if not any(cells):
                    if stats is not None:
                        stats.blank += 1
                    continue
                values = list(cells)
                if _SURROGATE.search("".join(values)):
                    yield QuarantineItem(source, row, dict(zip(layout.headers, values,
                                                               strict=True)),
                                         "bad_encoding", "binary cells that are not UTF-8")
                    continue
                yield RawRow(source, row, values, layout)

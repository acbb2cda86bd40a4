"""Delimited files cut into blocks of whole physical lines, parsed in any process.

The dry run's reading process only cuts blocks; decoding, splitting cells, validating and
tallying happen wherever the block is sent. In UTF-8 and GB18030 files a line feed is
always the byte 0x0A, so blocks are cut in the raw bytes after a line feed and decoded by
whoever parses them; other files (UTF-16) are read as text and a few thousand lines joined.
A block is parsed exactly as :func:`~scalpernet.ingest.readers.read_csv` parses those lines
in the file, by the same code (:func:`~scalpernet.ingest.readers.csv_rows`): the same rows,
cells, line numbers and quarantine items. The common block, one whole row a line, is split
without that row loop (:func:`plain_cells`), to the same cells.

A quoted field may span the cut between two blocks. The earlier block then ends with
:class:`~scalpernet.ingest.readers.Unfinished`: its parse returns the lines from that row's
start as a ``tail``, and the next block must be parsed again with the tail in front
(:func:`join`). Blocks are settled in file order, so the reader can parse ahead and redo
the rare block that followed a tail.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from itertools import chain, compress, islice
from operator import methodcaller

import numpy as np

from scalpernet.errors import InputError
from scalpernet.ingest import readers
from scalpernet.ingest.quarantine import QuarantineItem
from scalpernet.ingest.readers import (
    CSV_FIELD_LIMIT,
    LINE_ENCODINGS,
    CsvFile,
    CsvSpec,
    RawRow,
    ReadStats,
    Unfinished,
    csv_reader,
    csv_rows,
)

#: Physical lines per block of a file read as text.
BLOCK_LINES = 2048
#: Bytes per block of a file cut in its bytes (about 1,000 rows of a typical export; a
#: block that fits in a core's cache is validated fastest, measured).
BLOCK_BYTES = 1 << 18
#: A line longer than this ends the cutting in bytes: the rest of the file is read as text,
#: where a line over :data:`~scalpernet.ingest.readers.LINE_CAP` arrives in pieces.
LONG_LINE_BYTES = 4 << 20


@dataclass(frozen=True, slots=True)
class Span:
    """Bytes ``offset`` to ``offset + length`` of a file: a block's lines, read by whoever
    parses them (a worker reads them from the page cache: nothing crosses a pipe)."""

    path: str
    offset: int
    length: int
    version: tuple[int, int]  # the file's size and modification time when it was cut

    def read(self) -> bytes:
        with open(self.path, "rb") as binary:
            data = os.pread(binary.fileno(), self.length, self.offset)
            if len(data) != self.length or _version(os.fstat(binary.fileno())) != self.version:
                raise InputError(f"{self.path}: the file changed while it was read")
        return data


def _version(stat: os.stat_result) -> tuple[int, int]:
    return stat.st_size, stat.st_mtime_ns


@dataclass(frozen=True, slots=True)
class Block:
    """Physical lines ``start + 1`` onwards of one file.

    ``text`` is where the lines' bytes are (decoded with ``encoding`` by :meth:`decoded`),
    the lines joined, or the lines themselves when one was cut at
    :data:`~scalpernet.ingest.readers.LINE_CAP` (joined, it could not be split back the
    same way). ``final``: the file's last lines. ``undecodable``: bytes of the file failed
    to decode by the time these lines were read as text.
    """

    text: Span | str | list[str]
    start: int
    final: bool
    undecodable: bool
    encoding: str = ""

    def joined(self) -> tuple[str, bool] | None:
        """The lines as one text and whether it holds undecodable bytes; ``None`` for lines
        that must stay apart (one was cut at the length cap)."""
        text = self.text
        if type(text) is list:
            return None
        if type(text) is Span:
            errors_before = readers._decode_errors[0]
            decoded = text.read().decode(self.encoding, errors="scalpernet.mark")
            return decoded, readers._decode_errors[0] != errors_before
        return text, self.undecodable  # type: ignore[return-value]

    def decoded(self) -> tuple[list[str], bool]:
        """The physical lines, as the file's reader returns them, and whether any of them
        holds undecodable bytes."""
        whole = self.joined()
        if whole is None:
            return self.text, self.undecodable  # type: ignore[return-value]
        text, undecodable = whole
        if "\r" not in text:  # then, like readline, only "\n" ends a line
            lines = [line + "\n" for line in text.split("\n")]  # type: ignore[union-attr]
            last = lines.pop()
            if last != "\n":  # the file's last line, without a line end
                lines.append(last[:-1])
            return lines, undecodable
        readline = partial(io.StringIO(text, newline="").readline, readers.LINE_CAP)
        return list(iter(readline, "")), undecodable

    def lines(self) -> list[str]:
        return self.decoded()[0]


def blocks(opened: CsvFile, lines_per_block: int = BLOCK_LINES,
           block_bytes: int | None = None) -> Iterator[Block]:
    """The rest of an open file as blocks: cut in its bytes where the encoding allows,
    else ``lines_per_block`` physical lines at a time."""
    encoding = LINE_ENCODINGS.get(opened.spec.encoding)
    if encoding is None or opened.data_offset is None:
        yield from _text_blocks(opened.lines, opened.read, opened.undecodable, lines_per_block)
        return
    size = block_bytes or BLOCK_BYTES
    source = str(opened.path)
    with opened.path.open("rb") as binary:
        version = _version(os.fstat(binary.fileno()))
        binary.seek(opened.data_offset)
        offset, start = opened.data_offset, opened.read
        held: Block | None = None  # yielded once the next one shows it is not the last
        pending = b""
        while True:
            chunk = binary.read(size)
            data = pending + chunk if pending else chunk
            if not chunk:
                if data:
                    if held is not None:
                        yield held
                    held = Block(Span(source, offset, len(data), version), start, True, False,
                                 encoding)
                break
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                if len(data) > LONG_LINE_BYTES:
                    if held is not None:
                        yield held
                    yield from _text_rest(opened, offset, start, lines_per_block)
                    return
                pending = data
                continue
            block, pending = data[:cut], data[cut:]
            if held is not None:
                yield held
            held = Block(Span(source, offset, cut, version), start, False, False, encoding)
            offset += cut
            start += _count_newlines(block)
            if b"\r" in block:  # "\r\n" ends one line, a lone "\r" one more
                start += block.count(b"\r") - block.count(b"\r\n")
        if held is not None:
            yield Block(held.text, held.start, True, False, encoding)


def _count_newlines(data: bytes) -> int:
    """``data.count(b"\\n")`` in numpy: 23 against 133 µs a 256 KiB block (measured)."""
    return int(np.count_nonzero(np.frombuffer(data, dtype=np.uint8) == 0x0A))


def _text_rest(opened: CsvFile, offset: int, start: int,
               lines_per_block: int) -> Iterator[Block]:
    """The file from byte ``offset`` (a line start, after physical line ``start``) as text."""
    encoding = LINE_ENCODINGS[opened.spec.encoding]
    with opened.path.open("rb") as binary:
        binary.seek(offset)
        errors_before = readers._decode_errors[0]
        text = io.TextIOWrapper(binary, encoding=encoding, errors="scalpernet.mark",
                                newline="")
        lines = iter(partial(text.readline, readers.LINE_CAP), "")
        yield from _text_blocks(lines, start, lambda: readers._decode_errors[0] != errors_before,
                                lines_per_block)


def _text_blocks(lines: Iterator[str], start: int, undecodable: Callable[[], bool],
                 lines_per_block: int) -> Iterator[Block]:
    chunk = list(islice(lines, lines_per_block))
    while chunk:
        following = list(islice(lines, lines_per_block))
        text = "".join(chunk)
        yield Block(text if len(text) < readers.LINE_CAP else chunk, start, not following,
                    undecodable())
        start += len(chunk)
        chunk = following


def join(tail: Block, block: Block) -> Block:
    """An unfinished row's lines (``tail``) followed by the next block."""
    if type(tail.text) is str and type(block.text) is str:
        return Block(tail.text + block.text, tail.start, block.final,
                     tail.undecodable or block.undecodable)
    lines, undecodable = block.decoded()
    return Block(tail.lines() + lines, tail.start, block.final,
                 tail.undecodable or undecodable)


def plain_cells(spec: CsvSpec, block: Block) -> tuple[list[str], np.ndarray] | None:
    """The cells of a block whose every line is one whole row of the header's width, flat,
    and each row's line within the block (0 for its first line); ``None`` for a block that
    needs :func:`parse`.

    This is the common block, split without the row loop of
    :func:`~scalpernet.ingest.readers.csv_rows` and exactly as it splits. The lines without
    a quote come first, in file order, all split at once; then the quoted ones, each through
    the csv parser. A block goes to :func:`parse` when any line needs what only the row loop
    does: a carriage return, undecodable bytes, a blank or empty row, a row of another
    width, or a quoted field that does not end on its line or that the parser refuses.
    """
    whole = block.joined()
    if whole is None or whole[1] or "\r" in whole[0] or len(whole[0]) > CSV_FIELD_LIMIT:
        return None
    delimiter, width = spec.delimiter, spec.layout.width
    lines = whole[0].split("\n")
    if not lines[-1]:
        lines.pop()  # the last line's end (a file's last line may have none)
    if delimiter * (width - 1) in lines:  # a row of empty cells is skipped, not a row
        return None
    quoted = [i for i, line in enumerate(lines) if '"' in line]
    unquoted = lines
    if quoted:
        kept = np.ones(len(lines), dtype=bool)
        kept[quoted] = False
        unquoted = list(compress(lines, kept.tolist()))
    # joined by the delimiter, the unquoted lines split into their cells in one call; each
    # must hold width - 1 delimiters (a blank line holds none)
    counts = list(map(methodcaller("count", delimiter), unquoted))
    if counts.count(width - 1) != len(unquoted):
        return None
    cells = delimiter.join(unquoted).split(delimiter) if unquoted else []
    if quoted:
        # each quoted line alone through the parser: it must take exactly one line a row
        reader = csv_reader([lines[i] for i in quoted], delimiter)
        rows: list[list[str]] = []
        try:
            for taken, row in enumerate(reader, start=1):
                if reader.line_num != taken or len(row) != width or not any(row):
                    return None
                rows.append(row)
        except (csv.Error, ValueError):  # refused, or ran out inside a quoted field
            return None
        if len(rows) != len(quoted):
            return None
        cells += chain.from_iterable(rows)
        return cells, np.concatenate([np.flatnonzero(kept), quoted])
    return cells, np.arange(len(lines))


def plain_rows_at(spec: CsvSpec, block: Block, lines: list[int]) -> list[list[str]]:
    """The cells of the rows on ``lines`` (physical lines of the file, in the block) of a
    block :func:`plain_cells` splits, split as it splits them, without splitting the rest."""
    text, _ = block.joined()  # type: ignore[misc]  # a plain block is one text
    physical = text.split("\n")
    delimiter = spec.delimiter
    rows = []
    for line in lines:
        row = physical[line - block.start - 1]
        rows.append(next(csv_reader([row], delimiter)) if '"' in row else row.split(delimiter))
    return rows


def parse(spec: CsvSpec, block: Block,
          stats: ReadStats | None = None) -> tuple[list[RawRow | QuarantineItem], Block | None]:
    """The rows of a block, and the tail it leaves unfinished (``None``: none)."""
    lines, undecodable = block.decoded()
    rows: list[RawRow | QuarantineItem] = []
    for item in csv_rows(spec, iter(lines), block.start, lambda: undecodable, stats,
                         final=block.final):
        if type(item) is Unfinished:
            first = item.line - block.start - 1
            rest = lines[first:]
            tail_text: str | list[str] = rest if type(block.text) is list else "".join(rest)
            return rows, Block(tail_text, item.line - 1, False, undecodable)
        rows.append(item)  # type: ignore[arg-type]
    return rows, None

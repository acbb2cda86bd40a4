"""Delimited files cut into blocks of whole physical lines, parsed in any process.

The dry run's reading process only cuts blocks: it reads physical lines (C speed) and joins a
few thousand of them into one string. Splitting cells, validating and tallying then happen
wherever the block is sent. A block is parsed exactly as :func:`~scalpernet.ingest.readers.
read_csv` parses those lines in the file, by the same code
(:func:`~scalpernet.ingest.readers.csv_rows`): the same rows, cells, line numbers and
quarantine items.

A quoted field may span the cut between two blocks. The earlier block then ends with
:class:`~scalpernet.ingest.readers.Unfinished`: its parse returns the lines from that row's
start as a ``tail``, and the next block must be parsed again with the tail in front
(:func:`join`). Blocks are settled in file order, so the reader can parse ahead and redo
the rare block that followed a tail.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from itertools import islice

from scalpernet.ingest.quarantine import QuarantineItem
from scalpernet.ingest.readers import (
    LINE_CAP,
    CsvFile,
    CsvSpec,
    RawRow,
    ReadStats,
    Unfinished,
    csv_rows,
)

#: Physical lines per block.
BLOCK_LINES = 2048



@dataclass(frozen=True, slots=True)
class Block:
    """Physical lines ``start + 1`` onwards of one file.

    ``text`` is the lines joined, or the lines themselves when one was cut at
    :data:`~scalpernet.ingest.readers.LINE_CAP` (joined, it could not be split back the
    same way). ``final``: the file's last lines. ``undecodable``: bytes of the file failed
    to decode by the time these lines were read.
    """

    text: str | list[str]
    start: int
    final: bool
    undecodable: bool

    def lines(self) -> list[str]:
        """The physical lines, as the file's reader returned them."""
        text = self.text
        if type(text) is list:
            return text
        if "\r" not in text:  # then, like readline, only "\n" ends a line
            lines = [line + "\n" for line in text.split("\n")]  # type: ignore[union-attr]
            last = lines.pop()
            if last != "\n":  # the file's last line, without a line end
                lines.append(last[:-1])
            return lines
        return list(iter(partial(io.StringIO(text, newline="").readline, LINE_CAP), ""))  # type: ignore[arg-type]


def blocks(opened: CsvFile, lines_per_block: int = BLOCK_LINES) -> Iterator[Block]:
    """The rest of an open file as blocks of ``lines_per_block`` physical lines."""
    lines = opened.lines
    start = opened.read
    chunk = list(islice(lines, lines_per_block))
    while chunk:
        following = list(islice(lines, lines_per_block))
        text = "".join(chunk)
        yield Block(text if len(text) < LINE_CAP else chunk, start, not following,
                    opened.undecodable())
        start += len(chunk)
        chunk = following


def join(tail: Block, block: Block) -> Block:
    """An unfinished row's lines (``tail``) followed by the next block."""
    if type(tail.text) is str and type(block.text) is str:
        text: str | list[str] = tail.text + block.text
    else:
        text = tail.lines() + block.lines()
    return Block(text, tail.start, block.final, tail.undecodable or block.undecodable)


def parse(spec: CsvSpec, block: Block,
          stats: ReadStats | None = None) -> tuple[list[RawRow | QuarantineItem], Block | None]:
    """The rows of a block, and the tail it leaves unfinished (``None``: none)."""
    lines = block.lines()
    rows: list[RawRow | QuarantineItem] = []
    undecodable = block.undecodable
    for item in csv_rows(spec, iter(lines), block.start, lambda: undecodable, stats,
                         final=block.final):
        if type(item) is Unfinished:
            first = item.line - block.start - 1
            rest = lines[first:]
            tail_text: str | list[str] = rest if type(block.text) is list else "".join(rest)
            return rows, Block(tail_text, item.line - 1, False, undecodable)
        rows.append(item)  # type: ignore[arg-type]
    return rows, None

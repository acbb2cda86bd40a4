"""Blocks: a delimited file cut into blocks of lines parses exactly as the whole file does."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scalpernet.errors import InputError
from scalpernet.ingest import blocks, readers
from scalpernet.ingest.readers import CsvSpec, RawRow, ReadStats, open_csv
from tests.ingest.test_readers import ENGLISH, ROWS, csv_files, csv_text, fast_path


def block_path(path: Path, lines_per_block: int, block_bytes: int = 0,
               as_text: bool = False) -> tuple[list[tuple[Any, ...]], int]:
    """What parsing the file block by block yields, tails carried into the next block:
    cut in its bytes every ``block_bytes`` (or as text, ``lines_per_block`` lines a block),
    each block split without the row loop when it can be."""
    stats = ReadStats()
    out: list[tuple[Any, ...]] = []
    with open_csv(path, stats=stats) as opened:
        if opened is None:
            return out, stats.blank
        if as_text:
            opened.data_offset = None
        tail = None
        for block in blocks.blocks(opened, lines_per_block, block_bytes or None):
            if tail is not None:
                block = blocks.join(tail, block)
            plain = blocks.plain_cells(opened.spec, block)
            if plain is not None:  # as the dry run's workers take it, without the row loop
                out += sorted(plain_rows(opened.spec, block.start, *plain))
                tail = None
                continue
            rows, tail = blocks.parse(opened.spec, block, stats)
            for item in rows:
                if isinstance(item, RawRow):
                    out.append(("row", item.line, item.cells))
                else:
                    out.append(("quarantine", item.line, item.raw, item.reason))
        assert tail is None  # the file's last block finishes every row
    return out, stats.blank


def plain_rows(spec: CsvSpec, start: int, cells: list[str], offsets: np.ndarray
               ) -> list[tuple[str, int, list[str]]]:
    """A plain block's rows as ``("row", line, cells)``, in the order they were split."""
    width = spec.layout.width
    assert len(cells) == width * len(offsets)
    return [("row", start + 1 + int(offset), cells[i * width:(i + 1) * width])
            for i, offset in enumerate(offsets)]


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(csv_files(), csv_files(plain=True)), lines_per_block=st.integers(1, 4),
       block_bytes=st.one_of(st.integers(1, 80), st.integers(80, 400)),
       as_text=st.booleans(), encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
def test_blocks_yield_what_the_whole_file_yields(tmp_path: Path, text: str, lines_per_block: int,
                                                 block_bytes: int, as_text: bool,
                                                 encoding: str) -> None:
    path = tmp_path / "generated.csv"
    path.write_bytes(text.encode(encoding))
    assert block_path(path, lines_per_block, block_bytes, as_text) == fast_path(path)


def test_a_long_line_turns_the_rest_of_the_file_to_text(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(blocks, "LONG_LINE_BYTES", 600)
    rows = [list(ROWS[0]), list(ROWS[1]), list(ROWS[0]), list(ROWS[1]), list(ROWS[0])]
    rows[2][2] = "长" * 400  # over the limit in bytes
    rows[3][3] = "a\r\nb"  # and a quoted line break after it
    path = tmp_path / "long.csv"
    path.write_bytes(csv_text(ENGLISH, rows, eol="\r\n").encode("utf-8") + b"R9,\xff\n")
    whole = fast_path(path)
    assert [kind for kind, *_ in whole[0]] == ["row"] * 5 + ["quarantine"]
    for block_bytes in (1, 100, 300, 1000, 1 << 19):
        assert block_path(path, 2, block_bytes) == whole


def test_lines_over_the_cap_arrive_in_the_same_pieces(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    cap = len(",".join(ENGLISH)) + 2  # the header fits; long rows are cut
    monkeypatch.setattr(readers, "LINE_CAP", cap)
    monkeypatch.setattr(blocks, "LONG_LINE_BYTES", cap)  # never more bytes than characters
    rows = [list(ROWS[0]), list(ROWS[1]), list(ROWS[0]), list(ROWS[1])]
    rows[1][2] = "x" * (3 * cap)
    rows[2][3] = "a,b\n" + "y" * (2 * cap)  # quoted, and cut inside the quotes
    path = tmp_path / "long.csv"
    path.write_text(csv_text(ENGLISH, rows), encoding="utf-8")
    whole = fast_path(path)
    assert len(whole[0]) >= 4
    for lines_per_block in (1, 2, 3, 7):
        assert block_path(path, lines_per_block, as_text=True) == whole
        assert block_path(path, lines_per_block, block_bytes=lines_per_block * 50) == whole


def test_a_quoted_field_spanning_many_blocks(tmp_path: Path) -> None:
    long_note = "\n".join(f"第{i}行" for i in range(40))  # 40 physical lines in one cell
    rows = [list(ROWS[0]), list(ROWS[1]), list(ROWS[0])]
    rows[1][3] = long_note
    path = tmp_path / "notes.csv"
    path.write_text(csv_text(ENGLISH, rows, eol="\r\n"), encoding="utf-8")
    whole = fast_path(path)
    assert [(kind, line) for kind, line, *_ in whole[0]] == [("row", 2), ("row", 3), ("row", 43)]
    for lines_per_block in (1, 2, 5, 39, 40, 41, 2048):
        assert block_path(path, lines_per_block, as_text=True) == whole
    for block_bytes in (1, 7, 100, 1000, 1 << 19):
        assert block_path(path, 2, block_bytes) == whole


def test_block_text_splits_back_into_its_lines() -> None:
    for lines in (["a\n", "b\n"], ["a\n", "b"], ["a\r\n", "b\r", "c\n"], ["a\x0bb\x1c\n", "c"],
                  ["x\u2028y\n", "\n"]):
        block = blocks.Block("".join(lines), 0, True, False)
        assert block.lines() == lines

def test_a_span_of_bytes_decodes_into_its_lines(tmp_path: Path) -> None:
    path = tmp_path / "bytes.csv"
    path.write_bytes("头\r\n".encode("gb18030") + "a\r\nb\r心\n".encode("gb18030") + b"x\xff\n")
    version = (path.stat().st_size, path.stat().st_mtime_ns)
    span = blocks.Span(str(path), 4, len("a\r\nb\r心\n".encode("gb18030")), version)
    assert blocks.Block(span, 1, False, False, "gb18030").decoded() == (
        ["a\r\n", "b\r", "心\n"], False)
    bad = blocks.Span(str(path), path.stat().st_size - 3, 3, version)
    assert blocks.Block(bad, 4, True, False, "utf-8").decoded() == (["x\udcff\n"], True)
    with pytest.raises(InputError, match="changed"):
        blocks.Block(blocks.Span(str(path), 4, 100, version), 1, True, False, "utf-8").decoded()
    with path.open("ab") as more:
        more.write(b"y\n")
    with pytest.raises(InputError, match="changed"):
        blocks.Block(bad, 4, True, False, "utf-8").decoded()


def test_plain_blocks_are_split_without_the_row_loop(tmp_path: Path) -> None:
    rows = [list(ROWS[0]), list(ROWS[1]), list(ROWS[0])]
    rows[0][2] = "心内科, 二病区"  # quoted: it holds the delimiter
    rows[1][3] = 'a "quoted" word'
    written = io.StringIO()
    csv.writer(written, lineterminator="\n").writerows([ENGLISH, *rows])
    clean = written.getvalue()
    assert '"a ""quoted"" word"' in clean
    written = io.StringIO()
    csv.writer(written, lineterminator="\n").writerow([*rows[0][:3], "a\nb", *rows[0][4:]])
    line_break = written.getvalue()
    width = len(ENGLISH)
    for name, text, plain in [
        ("clean.csv", clean, True),
        ("last_line_unended.csv", clean.rstrip("\n"), True),
        ("crlf.csv", clean.replace("\n", "\r\n"), False),
        ("blank.csv", clean + "\n", False),
        ("empty_row.csv", clean + "," * (width - 1) + "\n", False),
        ("quoted_empty_row.csv", clean + ",".join(['""'] * width) + "\n", False),
        ("short_row.csv", clean + "R9,H01\n", False),
        ("trailing_delimiters.csv", clean.replace("\nR", ",,\nR", 1), False),
        ("line_break_in_quotes.csv", clean + line_break, False),
        ("stray_quote.csv", clean + 'R9,"H0"1' + "," * (width - 2) + "\n", False),
    ]:
        path = tmp_path / name
        path.write_bytes(text.encode("utf-8"))
        with open_csv(path) as opened:
            assert opened is not None
            taken = []
            for block in blocks.blocks(opened):  # a last line without its end: a block
                got = blocks.plain_cells(opened.spec, block)
                taken.append(got is not None)
                if got is not None:
                    parsed, tail = blocks.parse(opened.spec, block)
                    assert tail is None
                    assert sorted(plain_rows(opened.spec, block.start, *got)) == [
                        ("row", row.line, row.cells) for row in parsed]
                    assert [row.line for row in parsed] == list(
                        range(block.start + 1, block.start + 1 + len(parsed)))
            assert all(taken) is plain, name
        assert block_path(path, 2048) == fast_path(path), name

"""Blocks: a delimited file cut into blocks of lines parses exactly as the whole file does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scalpernet.ingest import blocks, readers
from scalpernet.ingest.readers import RawRow, ReadStats, open_csv
from tests.ingest.test_readers import ENGLISH, ROWS, csv_files, csv_text, fast_path


def block_path(path: Path, lines_per_block: int) -> tuple[list[tuple[Any, ...]], int]:
    """What parsing the file block by block yields, tails carried into the next block."""
    stats = ReadStats()
    out: list[tuple[Any, ...]] = []
    with open_csv(path, stats=stats) as opened:
        if opened is None:
            return out, stats.blank
        tail = None
        for block in blocks.blocks(opened, lines_per_block):
            if tail is not None:
                block = blocks.join(tail, block)
            rows, tail = blocks.parse(opened.spec, block, stats)
            for item in rows:
                if isinstance(item, RawRow):
                    out.append(("row", item.line, item.cells))
                else:
                    out.append(("quarantine", item.line, item.raw, item.reason))
        assert tail is None  # the file's last block finishes every row
    return out, stats.blank


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=csv_files(), lines_per_block=st.integers(1, 4))
def test_blocks_yield_what_the_whole_file_yields(tmp_path: Path, text: str,
                                                 lines_per_block: int) -> None:
    path = tmp_path / "generated.csv"
    path.write_bytes(text.encode("utf-8"))
    assert block_path(path, lines_per_block) == fast_path(path)


def test_lines_over_the_cap_arrive_in_the_same_pieces(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    cap = len(",".join(ENGLISH)) + 2  # the header fits; long rows are cut
    monkeypatch.setattr(readers, "LINE_CAP", cap)
    monkeypatch.setattr(blocks, "LINE_CAP", cap)
    rows = [list(ROWS[0]), list(ROWS[1]), list(ROWS[0]), list(ROWS[1])]
    rows[1][2] = "x" * (3 * cap)
    rows[2][3] = "a,b\n" + "y" * (2 * cap)  # quoted, and cut inside the quotes
    path = tmp_path / "long.csv"
    path.write_text(csv_text(ENGLISH, rows), encoding="utf-8")
    whole = fast_path(path)
    assert len(whole[0]) >= 4
    for lines_per_block in (1, 2, 3, 7):
        assert block_path(path, lines_per_block) == whole


def test_a_quoted_field_spanning_many_blocks(tmp_path: Path) -> None:
    long_note = "\n".join(f"第{i}行" for i in range(40))  # 40 physical lines in one cell
    rows = [list(ROWS[0]), list(ROWS[1]), list(ROWS[0])]
    rows[1][3] = long_note
    path = tmp_path / "notes.csv"
    path.write_text(csv_text(ENGLISH, rows, eol="\r\n"), encoding="utf-8")
    whole = fast_path(path)
    assert [(kind, line) for kind, line, *_ in whole[0]] == [("row", 2), ("row", 3), ("row", 43)]
    for lines_per_block in (1, 2, 5, 39, 40, 41, 2048):
        assert block_path(path, lines_per_block) == whole


def test_block_text_splits_back_into_its_lines() -> None:
    for lines in (["a\n", "b\n"], ["a\n", "b"], ["a\r\n", "b\r", "c\n"], ["a\x0bb\x1c\n", "c"],
                  ["x\u2028y\n", "\n"]):
        block = blocks.Block("".join(lines), 0, True, False)
        assert block.lines() == lines

"""Finding 5: control characters, huge rows, rows cut inside quotes, files that are not
exports and blank rows are all told, never silently kept or dropped."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from scalpernet.cli import main
from scalpernet.ingest.quarantine import quarantine_line
from scalpernet.ingest.validate import iter_batches
from tests.ingest.exports import HEADER, row


def _quarantined(path: Path) -> list[dict]:
    return [orjson.loads(quarantine_line(q)) for b in iter_batches([path]) for q in b.quarantined]


def test_messy_rows_are_quarantined_with_their_raw_text_capped(tmp_path: Path) -> None:
    nul, ansi = row(1), row(2)
    nul[HEADER.index("doctor")] = "D\x00x"
    ansi[HEADER.index("department")] = "\x1b[31mred"
    path = tmp_path / "messy.csv"
    path.write_text("\n".join([",".join(HEADER), ",".join(nul), ",".join(ansi),
                               ",".join(["a"] * 1_000_000), ",".join(row(3)),
                               'R4,H1,"cut short']), encoding="utf-8")
    got = {q["line"]: q for q in _quarantined(path)}
    assert {n: q["reason"] for n, q in got.items()} == {
        2: "control_characters:doctor", 3: "control_characters:department", 4: "row_shape",
        6: "row_shape"}
    assert len(orjson.dumps(got[4])) < 2048 and got[4]["truncated"]
    assert got[6]["raw"] == 'R4,H1,"cut short' and "quoted field" in got[6]["message"]


def test_files_that_are_not_exports_and_blank_rows_are_told(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "a.csv").write_text(",".join(HEADER) + "\n\n,,,\n" + ",".join(row(1)) + "\n",
                                  encoding="utf-8")
    (folder / "notes.pdf").write_bytes(b"%PDF-1.4")
    (folder / "export.xlsx").write_bytes(b"PK\x03\x04")
    with pytest.raises(SystemExit) as exit_info:
        main(["ingest", "--dry-run", str(folder), "--quarantine", str(tmp_path / "q.jsonl")])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0
    assert "not read: 2 file(s) without an export suffix" in out
    assert "export.xlsx" in out and "notes.pdf" in out
    assert "blank rows skipped 2" in out

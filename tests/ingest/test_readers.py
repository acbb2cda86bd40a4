"""Readers: encodings, delimiters, quoting, line numbers, header mapping, JSONL and Parquet."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scalpernet.errors import InputError
from scalpernet.ingest.quarantine import QuarantineItem
from scalpernet.ingest.readers import (
    ReadStats,
    build_layout,
    detect_delimiter,
    detect_encoding,
    load_mapping,
    read_file,
    source_files,
)
from scalpernet.ingest.rows import TextBatch
from scalpernet.ingest.validate import iter_batches
from scalpernet.records import FIELDS

ENGLISH = list(FIELDS)
CHINESE = ["挂号单号", "医院", "科室", "医生", "就诊时间", "放号时间", "下单时间", "支付时间",
           "状态", "取消时间", "金额", "患者姓名", "身份证号", "手机号", "就诊卡号", "账号",
           "设备号", "IP地址", "支付账号", "支付渠道", "陪诊员编号", "陪诊员姓名", "陪诊员电话"]
ROWS = [
    ["R1", "H01", "心内科", "张医生", "2025-03-05 08:00:00", "2025-02-26 18:00:00",
     "2025-02-26 18:00:00.020", "", "已预约", "", "¥300", "王芳", "11010519491231002X",
     "13800138000", "V1", "A1", "DEV1", "58.30.1.2", "pay1", "支付宝", "", "", ""],
    ["R2", "H01", "产科", "李医生", "2025-03-06 08:00:00", "2025-02-27 18:00:00",
     "2025-02-27 18:00:00.021", "", "已取消", "2025-02-28 09:00:00", "300", "561",
     "110105194912310021", "17012345678", "V2", "A2", "DEV1", "58.30.1.2", "pay1", "微信",
     "E7", "陪诊员甲", "13900139000"],
]


def csv_text(header: list[str], rows: list[list[str]], sep: str = ",", eol: str = "\n") -> str:
    def cell(v: str) -> str:
        return f'"{v}"' if any(c in v for c in (sep, '"', "\n")) else v
    return "".join(sep.join(cell(v) for v in r) + eol for r in [header, *rows])


class RawRow(SimpleNamespace):
    """One row of a text batch: ``line`` and ``cells``."""


class Record(SimpleNamespace):
    """One valid row (the columns of ``ROW_SCHEMA``)."""


def items(path: Path, mapping: dict[str, str] | None = None,
          stats: ReadStats | None = None) -> list[Any]:
    """What the reader yields, a row at a time, in line order."""
    out: list[Any] = []
    for item in read_file(path, mapping, stats):
        if isinstance(item, TextBatch):
            cells = list(zip(*(c.to_pylist() for c in item.columns), strict=True))
            out.extend(RawRow(line=int(line), cells=list(row))
                       for line, row in zip(item.lines, cells, strict=True))
        else:
            out.append(item)
    return sorted(out, key=lambda r: r.line)


def records(path: Path, mapping: dict[str, str] | None = None) -> list[Any]:
    """Valid rows and quarantine items of one file, in line order."""
    out: list[Any] = []
    for batch in iter_batches([path], mapping):
        out.extend(Record(**row) for row in batch.rows.to_pylist())
        out.extend(batch.quarantined)
    return sorted(out, key=lambda r: r.source_line if isinstance(r, Record) else r.line)


def test_gb18030_chinese_headers_and_bom_utf8_english_headers_give_the_same_records(
        tmp_path: Path) -> None:
    gb = tmp_path / "gb.csv"
    gb.write_bytes(csv_text(CHINESE, ROWS, eol="\r\n").encode("gb18030"))
    bom = tmp_path / "bom.csv"
    bom.write_bytes(codecs.BOM_UTF8 + csv_text(ENGLISH, ROWS).encode("utf-8"))
    from_gb, from_bom = records(gb), records(bom)
    assert all(isinstance(r, Record) for r in from_gb + from_bom)
    assert [r.content_hash for r in from_gb] == [r.content_hash for r in from_bom]  # type: ignore[union-attr]
    assert [r.patient_name for r in from_gb] == ["王芳", "561"]  # type: ignore[union-attr]
    stats = ReadStats()
    items(gb, stats=stats)
    items(bom, stats=stats)
    assert stats.encodings == {str(gb): "gb18030", str(bom): "utf-8-sig"}


def test_gbk_encoded_file_is_read_as_gb18030(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    rows = [[v.replace("¥", "￥") for v in r] for r in ROWS]  # GBK has no half-width yen
    path.write_bytes(csv_text(CHINESE, rows).encode("gbk"))
    got = records(path)
    assert [r.department for r in got] == ["心内科", "产科"]  # type: ignore[union-attr]


def test_excel_utf16_tab_export(tmp_path: Path) -> None:
    path = tmp_path / "unicode.txt"
    path.write_bytes(csv_text(CHINESE, ROWS, sep="\t", eol="\r\n").encode("utf-16"))
    got = records(path)
    assert [r.registration_id for r in got] == ["R1", "R2"]  # type: ignore[union-attr]


@pytest.mark.parametrize("sep", [",", "\t", ";", "|"])
def test_delimiters_are_detected(tmp_path: Path, sep: str) -> None:
    path = tmp_path / "export.csv"
    path.write_text(csv_text(ENGLISH, ROWS, sep=sep), encoding="utf-8")
    got = items(path)
    assert [r.cells[0] for r in got] == ["R1", "R2"]  # type: ignore[union-attr]
    assert detect_delimiter(sep.join(ENGLISH)) == sep


def test_encoding_detection_on_samples() -> None:
    assert detect_encoding("患者姓名,身份证号\n".encode()) == "utf-8"
    assert detect_encoding("患者姓名,身份证号\n".encode("gb18030")) == "gb18030"
    assert detect_encoding(codecs.BOM_UTF8 + b"a,b") == "utf-8-sig"
    assert detect_encoding(b"plain,ascii\n") == "utf-8"
    # a sample cut inside a multi-byte character is still UTF-8
    assert detect_encoding(("王芳" * 100).encode()[:-1]) == "utf-8"
    # one damaged byte among much UTF-8 does not make the file GB18030
    damaged = ("王芳,心内科\n" * 50).encode() + b"\xff" + ("李四\n" * 50).encode()
    assert detect_encoding(damaged) == "utf-8"


def test_quoted_commas_newlines_crlf_and_physical_line_numbers(tmp_path: Path) -> None:
    rows = [list(ROWS[0]), list(ROWS[1])]
    rows[0][2] = "心内科, 二病区"
    rows[0][3] = "张医生\n(副主任)"
    text = csv_text(ENGLISH, rows, eol="\r\n")
    text = text.replace("\r\nR2", "\r\n\r\n\r\nR2")  # blank lines between rows
    path = tmp_path / "messy.csv"
    path.write_bytes(text.encode("utf-8"))
    stats = ReadStats()
    got = items(path, stats=stats)
    assert [(r.line, r.cells[0]) for r in got] == [(2, "R1"), (6, "R2")]  # type: ignore[union-attr]
    assert got[0].cells[2] == "心内科, 二病区"  # type: ignore[union-attr]
    assert got[0].cells[3] == "张医生\n(副主任)"  # type: ignore[union-attr]
    assert stats.blank == 2


def test_cut_off_last_line_inside_quotes_is_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "cut.csv"
    text = csv_text(ENGLISH, ROWS)
    path.write_text(text + 'R3,H01,"心内', encoding="utf-8")
    got = items(path)
    assert isinstance(got[-1], QuarantineItem)
    assert (got[-1].line, got[-1].reason) == (4, "row_shape")
    assert "cut-off" in got[-1].message
    assert [type(r) for r in got[:2]] == [RawRow, RawRow]
    assert got[-1].raw == 'R3,H01,"心内'  # the text as read, never null


def test_cut_off_last_line_with_too_few_cells_is_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "cut.csv"
    path.write_text(csv_text(ENGLISH, ROWS) + "R3,H01,心内科", encoding="utf-8")
    last = items(path)[-1]
    assert isinstance(last, QuarantineItem)
    assert (last.line, last.reason, last.raw) == (4, "row_shape", "R3,H01,心内科")


def test_a_row_wider_than_the_header_is_quarantined_with_its_text(tmp_path: Path) -> None:
    path = tmp_path / "trailing.csv"
    lines = csv_text(ENGLISH, ROWS).splitlines()
    path.write_text("\n".join([lines[0], lines[1] + ",,", lines[2] + ",surprise"]) + "\n",
                    encoding="utf-8")
    got = items(path)
    assert [(r.line, r.reason) for r in got] == [(2, "row_shape"), (3, "row_shape")]
    assert got[1].raw == lines[2] + ",surprise"
    assert got[0].message == f"{len(FIELDS) + 2} cells where the header has {len(FIELDS)}"


def test_undecodable_bytes_quarantine_only_their_row(tmp_path: Path) -> None:
    path = tmp_path / "damaged.csv"
    head = csv_text(CHINESE, ROWS[:1]).encode("gb18030")
    bad = csv_text(ENGLISH, ROWS[1:]).split("\n", 1)[1].encode("gb18030").replace(
        b"R2", b"R2\x80\xff")  # 0x80 and 0xFF are never valid GB18030 lead bytes
    tail = csv_text(ENGLISH, [["R9", *ROWS[0][1:]]]).split("\n", 1)[1].encode("gb18030")
    path.write_bytes(head + bad + tail)
    got = items(path)
    assert [type(r).__name__ for r in got] == ["RawRow", "QuarantineItem", "RawRow"]
    assert (got[1].line, got[1].reason) == (3, "bad_encoding")  # type: ignore[union-attr]
    assert got[2].cells[0] == "R9"  # type: ignore[union-attr]


def test_missing_required_column_is_a_clear_input_error(tmp_path: Path) -> None:
    path = tmp_path / "no_id.csv"
    header = [h for h in ENGLISH if h != "id_number"]
    path.write_text(csv_text(header, []), encoding="utf-8")
    with pytest.raises(InputError, match=r"id_number.*--mapping"):
        items(path)


def test_two_columns_for_one_field_is_an_input_error() -> None:
    with pytest.raises(InputError, match="both map to 'patient_name'"):
        build_layout([*ENGLISH, "姓名"], None, "x.csv")


def test_unknown_columns_are_kept_and_repeated_names_told_apart(tmp_path: Path) -> None:
    layout = build_layout([*ENGLISH, "备注", "备注"], None, "x.csv")
    assert layout.extra == ((23, "备注"), (24, "备注#2"))
    path = tmp_path / "extra.csv"
    path.write_text(csv_text([*ENGLISH, "备注", "备注"], [[*ROWS[0], "a", " b "]]),
                    encoding="utf-8")
    (got,) = records(path)
    assert got.extra == '{"备注":"a","备注#2":"b"}'


@pytest.mark.parametrize("suffix", [".yaml", ".toml"])
def test_user_mapping_file(tmp_path: Path, suffix: str) -> None:
    theirs = ["Order No", "Hosp", "Dept", "Doc", "Visit", "Release", "Submitted", "Paid",
              "State", "Cancel", "Amount", "Who", "Identity", "Tel", "Card", "Acct", "Dev",
              "Addr", "Payer", "Chan", "Agent", "Agent Name", "Agent Tel"]
    mapping_path = tmp_path / f"map{suffix}"
    if suffix == ".yaml":
        mapping_path.write_text("".join(f'"{t}": {f}\n' for t, f in zip(theirs, FIELDS,
                                                                       strict=True)),
                                encoding="utf-8")
    else:
        mapping_path.write_text("[columns]\n" + "".join(
            f'"{t}" = "{f}"\n' for t, f in zip(theirs, FIELDS, strict=True)), encoding="utf-8")
    mapping = load_mapping(mapping_path)
    path = tmp_path / "theirs.csv"
    path.write_text(csv_text(theirs, ROWS), encoding="utf-8")
    got = records(path, mapping)
    assert [r.registration_id for r in got] == ["R1", "R2"]  # type: ignore[union-attr]
    with pytest.raises(InputError):
        records(path)  # without the mapping no column is known


def test_mapping_to_an_unknown_field_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "map.yaml"
    path.write_text("Who: patient\n", encoding="utf-8")
    with pytest.raises(InputError, match="patient not a field"):
        load_mapping(path)


def test_binary_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(b"PK\x03\x04\x00\x00" + bytes(range(256)) * 4)
    with pytest.raises(InputError, match="xlsx"):
        items(path)


def test_jsonl_values_blank_lines_bad_lines_and_cut_last_line(tmp_path: Path) -> None:
    import orjson

    good = dict(zip(ENGLISH, ROWS[0], strict=True))
    numeric = {**dict(zip(ENGLISH, ROWS[1], strict=True)), "fee_yuan": 300, "note": None,
               "tags": ["vip"]}
    lines = [orjson.dumps(good), b"", orjson.dumps(numeric), b"[1, 2]", b"{bad json",
             orjson.dumps(good)[:40]]
    path = tmp_path / "export.jsonl"
    path.write_bytes(codecs.BOM_UTF8 + b"\n".join(lines))
    stats = ReadStats()
    got = items(path, stats=stats)
    assert [(r.line, type(r).__name__) for r in got] == [
        (1, "RawRow"), (3, "RawRow"), (4, "QuarantineItem"), (5, "QuarantineItem"),
        (6, "QuarantineItem")]
    assert {r.reason for r in got if isinstance(r, QuarantineItem)} == {"bad_json"}
    assert stats.blank == 1
    assert got[1].cells[ENGLISH.index("fee_yuan")] == "300"
    assert got[1].cells[len(ENGLISH):] == ["", '["vip"]']


def test_jsonl_missing_required_key_is_a_row_problem(tmp_path: Path) -> None:
    import orjson

    obj = dict(zip(ENGLISH, ROWS[0], strict=True))
    del obj["id_number"]
    path = tmp_path / "export.ndjson"
    path.write_bytes(orjson.dumps(obj) + b"\n")
    (item,) = records(path)
    assert isinstance(item, QuarantineItem) and item.reason == "missing_required:id_number"


def test_jsonl_object_naming_one_field_twice_is_quarantined_alone(tmp_path: Path) -> None:
    import orjson

    good = dict(zip(ENGLISH, ROWS[0], strict=True))
    path = tmp_path / "export.jsonl"
    path.write_bytes(b"\n".join([orjson.dumps({**good, "姓名": "李四"}), orjson.dumps(good)]))
    got = items(path)
    assert isinstance(got[0], QuarantineItem) and got[0].reason == "ambiguous_columns"
    assert got[0].raw["姓名"] == "李四"
    assert isinstance(got[1], RawRow)


def test_parquet_with_typed_columns(tmp_path: Path) -> None:
    from datetime import UTC, datetime
    from decimal import Decimal

    table = pa.table({
        **{f: [r[i] for r in ROWS] for i, f in enumerate(FIELDS)},
        "booked_at": pa.array([datetime(2025, 2, 26, 10, 0, 0, 20_000),
                               datetime(2025, 2, 27, 10, 0, 0, 21_000)],
                              pa.timestamp("ms", tz="UTC")),
        "fee_yuan": pa.array([Decimal("300.00"), None], pa.decimal128(8, 2)),
    })
    path = tmp_path / "export.parquet"
    pq.write_table(table, path)
    got = records(path)
    assert [r.source_line for r in got] == [1, 2]  # type: ignore[union-attr]
    first = got[0]
    assert isinstance(first, Record)
    assert first.booked_at == int(datetime(2025, 2, 26, 10, 0, 0, 20_000,
                                           tzinfo=UTC).timestamp() * 1_000_000)
    assert first.fee_yuan == "300.00" and got[1].fee_yuan is None


def test_folders_are_walked_recursively_in_sorted_order(tmp_path: Path) -> None:
    for name in ["b/2.csv", "a/z.jsonl", "a/y.parquet", "a/notes.md", "c.tsv", "a/b/x.ndjson"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    found = [p.relative_to(tmp_path).as_posix() for p in source_files([tmp_path])]
    assert found == ["a/b/x.ndjson", "a/y.parquet", "a/z.jsonl", "b/2.csv", "c.tsv"]
    with pytest.raises(InputError, match="no such file"):
        source_files([tmp_path / "missing"])


# -- the quote-free fast path against the CSV parser alone --------------------------------------
_cell = st.text(alphabet=st.sampled_from(list('ab,"\r\n \x01心')), max_size=6)
_eol = st.sampled_from(["\n", "\r\n"])


@st.composite
def csv_files(draw: st.DrawFn) -> str:
    """The contract header, then rows quoted at random (cells may hold commas, quotes,
    line breaks), rows of another width, and blank lines, with mixed line ends."""
    lines = [",".join(ENGLISH) + draw(_eol)]
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(["row", "row", "row", "blank", "short"]))
        if kind == "blank":
            lines.append(draw(st.sampled_from(["", ",,,"])) + draw(_eol))
            continue
        width = len(ENGLISH) if kind == "row" else draw(st.sampled_from([2, 22, 24]))
        values = draw(st.lists(_cell, min_size=width, max_size=width))
        quoted = [('"' + v.replace('"', '""') + '"' if draw(st.booleans())
                   or any(c in v for c in ',"\r\n') else v) for v in values]
        lines.append(",".join(quoted) + draw(_eol))
    return "".join(lines)


def python_csv(text: str) -> list[tuple[str, int, Any]]:
    """The reference: Python's csv module, its line numbers, blank rows dropped."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    next(reader)
    out: list[tuple[str, int, Any]] = []
    line = reader.line_num + 1
    for cells in reader:
        start, line = line, reader.line_num + 1
        if not any(cells):
            continue
        shaped = len(cells) == len(ENGLISH)
        out.append(("row", start, cells) if shaped else ("quarantine", start, None))
    return out


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=csv_files())
def test_rows_cells_and_line_numbers_are_those_of_the_csv_module(tmp_path: Path,
                                                                 text: str) -> None:
    path = tmp_path / "generated.csv"
    path.write_bytes(text.encode("utf-8"))
    got = [("row", r.line, r.cells) if isinstance(r, RawRow) else ("quarantine", r.line, None)
           for r in items(path)]
    assert got == python_csv(text), repr(text)

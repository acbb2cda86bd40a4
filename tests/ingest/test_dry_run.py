"""The dry run end to end: a folder of real-world mess, every row accounted for, the CLI."""

from __future__ import annotations

import codecs
import re
from datetime import date
from pathlib import Path

import orjson
import pytest

from scalpernet.cli import main
from scalpernet.ingest.validate import validate_paths
from scalpernet.records import FIELDS

CHINESE = ["挂号单号", "医院", "科室", "医生", "就诊时间", "放号时间", "下单时间", "支付时间",
           "状态", "取消时间", "金额", "患者姓名", "身份证号", "手机号", "就诊卡号", "账号",
           "设备号", "IP地址", "支付账号", "支付渠道", "陪诊员编号", "陪诊员姓名", "陪诊员电话"]
ID_NUMBER = "11010519491231002X"
PHONE = "17012345678"
TODAY = date(2025, 6, 1)


def cells(reg: str, **over: str) -> list[str]:
    base = dict(zip(FIELDS, [
        reg, "H01", "心内科", "D1", "2025-03-05 08:00:00", "2025-02-26 18:00:00",
        "2025-02-26 18:00:00.020", "", "已预约", "", "¥300", "王芳", ID_NUMBER, PHONE, "V1",
        "A1", "DEV1", "58.30.1.2", "pay1", "支付宝", "", "", ""], strict=True))
    base.update(over)
    return list(base.values())


def csv_line(values: list[str], sep: str = ",") -> str:
    return sep.join(f'"{v}"' if any(c in v for c in (sep, '"', "\n", "\r")) else v
                    for v in values)


@pytest.fixture()
def messy(tmp_path: Path) -> tuple[Path, int, int]:
    """A folder of odd exports; returns (folder, expected valid, expected quarantined)."""
    folder = tmp_path / "exports"
    (folder / "gb").mkdir(parents=True)
    rows = [
        cells("G1"),
        cells("G2", department="心内科, 二病区", doctor="张医生\n副主任"),  # quoted , and \n
        cells("G3", patient_name="561", id_number="110105194912310021"),  # evidence, valid
        cells("G4", booked_at="昨天"),  # bad_datetime
        cells("G5", status="待定"),  # bad_status
        cells("G6", department="'; MATCH (n) DETACH DELETE n //", patient_name="<script>"),
        cells("G7", registration_id="G7\x01"),  # control character in a key
    ]
    text = "\r\n".join([csv_line(CHINESE), *map(csv_line, rows), "", ""]) + "\r\n"
    (folder / "gb" / "a.csv").write_bytes(text.encode("gb18030"))

    utf = [cells("U1"), cells("U1"), cells("U2", fee_yuan="abc"), cells("U3", ip="bad ip")]
    body = "\n".join([csv_line(list(FIELDS)), *map(csv_line, utf)])
    body += "\n" + csv_line(cells("U4"))[:25]  # truncated last line, no newline
    (folder / "b.csv").write_bytes(codecs.BOM_UTF8 + body.encode())

    tsv = [cells("T1", hospital="H02"), cells("T2", hospital="H02")[:5]]  # row_shape
    (folder / "c.tsv").write_text("\n".join(
        [csv_line(list(FIELDS), "\t"), *(csv_line(r, "\t") for r in tsv)]) + "\n",
        encoding="utf-8")

    objs = [dict(zip(FIELDS, cells("J1", hospital="H03"), strict=True)),
            dict(zip(FIELDS, cells("J2", hospital="H03", id_number=""), strict=True))]
    (folder / "d.jsonl").write_bytes(b"\n".join([*map(orjson.dumps, objs), b"{cut"]) + b"\n")
    (folder / "notes.md").write_text("not an export")
    # valid: G1 G2 G3 G6, U1 U1(dup) U3, T1, J1 = 9; quarantined: G4 G5 G7 U2 U4 T2 J2 {cut = 8
    return folder, 9, 8


def test_every_row_is_valid_or_quarantined_with_a_reason(messy: tuple[Path, int, int],
                                                         tmp_path: Path) -> None:
    folder, valid, quarantined = messy
    qpath = tmp_path / "q" / "quarantine.jsonl"
    counts = validate_paths([folder], quarantine_path=qpath)
    assert counts.read == counts.valid + counts.quarantined
    assert (counts.read, counts.valid, counts.quarantined) == (valid + quarantined, valid,
                                                              quarantined)
    assert len(counts.files) == 4 and counts.duplicates == 1 and counts.blank == 2
    assert counts.reasons == {
        "bad_datetime:booked_at": 1, "bad_status": 1, "control_characters:registration_id": 1,
        "bad_fee": 1, "row_shape": 2, "missing_required:id_number": 1, "bad_json": 1}
    assert counts.flags_by_kind["virtual_phone"] == valid  # every row had the 170 phone
    assert counts.flags["invalid_id:bad_check_digit"] == 1
    assert counts.flags["junk_name:digits_only"] == 1
    assert counts.flags["bad_ip"] == 1

    docs = [orjson.loads(x) for x in qpath.read_bytes().splitlines()]
    assert len(docs) == quarantined
    assert all(set(d) >= {"file", "line", "raw", "reason", "message"} for d in docs)
    where = {(Path(d["file"]).name, d["line"]): d["reason"] for d in docs}
    assert where == {
        ("a.csv", 6): "bad_datetime:booked_at",  # G2 spans lines 3-4
        ("a.csv", 7): "bad_status",
        ("a.csv", 9): "control_characters:registration_id",
        ("b.csv", 4): "bad_fee",
        ("b.csv", 6): "row_shape",
        ("c.tsv", 3): "row_shape",
        ("d.jsonl", 2): "missing_required:id_number",
        ("d.jsonl", 3): "bad_json",
    }


def test_cli_dry_run_prints_counts_and_never_raw_identifiers(
        messy: tuple[Path, int, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder, valid, quarantined = messy
    qpath = tmp_path / "q.jsonl"
    with pytest.raises(SystemExit) as exit_info:
        main(["ingest", "--dry-run", str(folder), "--quarantine", str(qpath)])
    assert exit_info.value.code == 0
    out, err = capsys.readouterr()
    read = valid + quarantined
    assert f"read = valid + quarantined: {read} = {valid} + {quarantined}" in out
    assert re.search(rf"valid\s+{valid}\b", out)
    assert re.search(r"bad_datetime:booked_at\s+1\b", out)
    assert re.search(rf"virtual_phone\s+{valid}\b", out)
    assert str(qpath) in out
    for secret in (ID_NUMBER, PHONE, "110105194912310021"):
        assert secret not in out + err
    assert ID_NUMBER in qpath.read_text(encoding="utf-8")  # the quarantine file keeps raw rows


def test_cli_mapping_option_and_bad_mapping(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    theirs = [f"col{i}" for i in range(len(FIELDS))]
    export = tmp_path / "theirs.csv"
    export.write_text("\n".join([",".join(theirs), csv_line(cells("M1"))]) + "\n",
                      encoding="utf-8")
    mapping = tmp_path / "map.toml"
    mapping.write_text("".join(f'{t} = "{f}"\n' for t, f in zip(theirs, FIELDS, strict=True)),
                       encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        main(["ingest", "--dry-run", "--mapping", str(mapping), str(export),
              "--quarantine", str(tmp_path / "q.jsonl")])
    assert exit_info.value.code == 0
    assert "read = valid + quarantined: 1 = 1 + 0" in capsys.readouterr().out

    with pytest.raises(SystemExit) as exit_info:
        main(["ingest", "--dry-run", str(export), "--quarantine", str(tmp_path / "q.jsonl")])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "--mapping" in err and len(err.splitlines()) == 1


def test_quarantine_defaults_to_the_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from scalpernet.config import get_settings

    monkeypatch.setenv("SCALPERNET_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    export = tmp_path / "bad.csv"
    export.write_text("\n".join([",".join(FIELDS), csv_line(cells("B1", status="?"))]) + "\n",
                      encoding="utf-8")
    try:
        with pytest.raises(SystemExit) as exit_info:
            main(["ingest", "--dry-run", str(export)])
    finally:
        get_settings.cache_clear()
    assert exit_info.value.code == 0
    (written,) = (tmp_path / "data" / "quarantine").glob("*.jsonl")
    assert orjson.loads(written.read_bytes())["reason"] == "bad_status"
    assert str(written) in capsys.readouterr().out

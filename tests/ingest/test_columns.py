"""The column-at-a-time fast path gives exactly what the one-row validator gives, row by row."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from datetime import date, datetime
from hashlib import blake2b
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scalpernet.identifiers import parse_id_card, parse_phone
from scalpernet.ingest import blocks, tally
from scalpernet.ingest.columns import (
    NO_TIME,
    Tally,
    _canonical_numbers,
    _id_flags,
    _phone_facts,
    _phone_flags,
    _printable,
    _printables,
    parse_columns,
    tally_columns,
    tally_parts,
    time_number,
)
from scalpernet.ingest.quarantine import QuarantineItem, QuarantineWriter
from scalpernet.ingest.readers import RawRow, ReadStats, open_csv, read_file, source_files
from scalpernet.ingest.validate import (
    Counts,
    iter_records,
    validate_paths,
    validate_row,
)
from scalpernet.records import (
    CST,
    FIELD_CAP,
    FIELDS,
    Record,
    RecordError,
    _stamp,
    parse_datetime,
    parse_fields,
    parse_fields_content,
)

from .row_ledger import RegistrationLedger
from .test_dry_run import messy  # noqa: F401  # the fixture

TODAY = date(2026, 1, 1)
# Values the fast path decides itself (flags included), and values it must hand over
CLEAN_TIMES = ["2025-03-05 08:00:00", "2025-03-05 08:00:00.123", "2025-02-26 17:59:59",
               " 2025-03-05 08:00:00 ", "2025-03-05T08:00:00+09:00", "2025/03/05 8:00"]
ODD_TIMES = ["2025-02-30 25:00", "1900-01-01 00:00:00", "2025-03-05", "昨天", "\x00"]
CLEAN: dict[str, list[str]] = {
    "registration_id": ["R1", "R2", " R3 ", "R1\u3000"],
    "hospital": ["H01", "H02 ", "\tH03"],
    "department": ["心内科", " 儿科", ""],
    "doctor": ["D1", ""],
    "slot_time": CLEAN_TIMES, "released_at": [*CLEAN_TIMES, ""], "booked_at": CLEAN_TIMES,
    "paid_at": [*CLEAN_TIMES, ""], "cancelled_at": [*CLEAN_TIMES, ""],
    "status": ["booked", "已预约", " cancelled ", "爽约"],
    "fee_yuan": ["300", "¥1,200", "300.50", "0300", "", "1.0", "１００"],
    "patient_name": ["王芳", "561", "测试", " 王\u3000芳 ", "a", "aaa", "王\u200b芳", "Li Lei"],
    "id_number": ["11010519491231002X", "110105194912310021", "110105491231002",
                  "11010519491231002x", "１１０１０５１９４９１２３１００２Ｘ", "123",
                  "99010519491231002X", "110105203012310021", " 11010519491231002X",
                  "110105190002300021"],
    "phone": ["13800138000", "17012345678", "+86 138-0013-8000", "", "abc", "010-12345678",
              "12345", "８６１３８００１３８０００"],
    "visit_card": ["V1", "", " x "], "account_id": ["A1", ""], "device_id": ["DEV1", ""],
    "ip": ["58.30.1.2", "192.168.1.20", "bad ip", "", "::1", "[2001:db8::1]:443", "010.1.1.1",
           "1.2.3.4:80", "::ffff:10.0.0.1", "100.64.3.4"],
    "payer_account": ["pay1", ""],
    "payer_channel": ["alipay", "支付宝", "微信支付", "", "wx"],
    "escort_agent_id": ["", "E1"], "escort_agent_name": ["", "陪诊1"],
    "escort_agent_phone": ["", "13912345678", "17112345678", "xx"],
}
ODD: dict[str, list[str]] = {
    "registration_id": ["", "R\x01", "x" * (FIELD_CAP + 1)],
    "hospital": ["", "H\x7f"], "doctor": [""], "patient_name": ["", "\x1b"],
    "id_number": ["", "1101\n05"], "phone": ["138\x0200138000"],
    "slot_time": ["", *ODD_TIMES], "released_at": ODD_TIMES, "booked_at": ["", *ODD_TIMES],
    "paid_at": ODD_TIMES, "cancelled_at": ODD_TIMES,
    "status": ["BOOKED", "待定", "", "no-show"], "fee_yuan": ["abc", "-5", "1e3"],
    "payer_channel": ["WeChat", "paypal", " alipay", "ＡＬＩＰＡＹ"],
    "department": ["x" * (FIELD_CAP + 1)],
}
EXTRAS = [{}, {"note": " walk-in "}, {"note": ""}, {"a": "1", "b": " "}]

one_row = st.tuples(
    st.tuples(*(st.sampled_from(CLEAN[f]) for f in FIELDS)),
    st.lists(st.sampled_from([(f, v) for f, vs in ODD.items() for v in vs]), max_size=2),
    st.sampled_from(range(len(EXTRAS))),
).map(lambda t: (_with(t[0], t[1]), t[2]))


def _with(vals: tuple[str, ...], odd: list[tuple[str, str]]) -> tuple[str, ...]:
    row = dict(zip(FIELDS, vals, strict=True))
    row.update(odd)
    return tuple(row[f] for f in FIELDS)


rows_strategy = st.lists(one_row, min_size=1, max_size=25)


def reference(vals: list[str], extra: dict[str, str], line: int) -> Record | RecordError:
    try:
        return parse_fields(vals, dict(extra), source_file="f.csv", source_line=line,
                            today=TODAY)
    except RecordError as exc:
        return exc


def same(got: Record | RecordError, want: Record | RecordError) -> bool:
    if isinstance(want, RecordError):
        return isinstance(got, RecordError) and (got.code, got.message) == (want.code,
                                                                            want.message)
    # repr as well: Decimal("1.0") == Decimal("1.00"), yet they key differently
    return got == want and repr(got) == repr(want)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(rows_strategy, st.booleans())
def test_columns_agree_with_the_one_row_validator(
        rows: list[tuple[tuple[str, ...], int]], with_extras: bool) -> None:
    lines = list(range(2, len(rows) + 2))
    columns = [list(c) for c in zip(*(r for r, _ in rows), strict=True)]
    extras = [dict(EXTRAS[e]) for _, e in rows] if with_extras else None
    got = parse_columns(columns, extras, source_file="f.csv", source_lines=lines, today=TODAY)
    assert len(got) == len(rows)
    for (vals, e), line, result in zip(rows, lines, got, strict=True):
        want = reference(list(vals), EXTRAS[e] if with_extras else {}, line)
        assert same(result, want), (vals, result, want)


def test_a_batch_of_only_clean_rows_and_of_only_bad_rows() -> None:
    clean = [CLEAN[f][0] for f in FIELDS]
    bad = list(clean)
    bad[FIELDS.index("booked_at")] = "昨天"
    for rows in ([clean] * 3, [bad] * 3, [bad, clean, bad]):
        columns = [list(c) for c in zip(*rows, strict=True)]
        got = parse_columns(columns, None, source_file="f.csv", source_lines=[2, 3, 4],
                            today=TODAY)
        want = [reference(r, {}, line) for r, line in zip(rows, [2, 3, 4], strict=True)]
        assert all(same(g, w) for g, w in zip(got, want, strict=True))
        assert [type(g) for g in got] == [type(w) for w in want]


def one_row_at_a_time(paths: list[Path]) -> Iterator[Record | QuarantineItem]:
    """The validation stream as it was before batching: the reference for iter_records."""
    run_ledger = RegistrationLedger()
    for path in source_files(paths):
        file_ledger = RegistrationLedger()
        for row in read_file(path, None, ReadStats()):
            if type(row) is not RawRow:
                yield row  # type: ignore[misc]
                continue
            item = validate_row(row, TODAY)  # type: ignore[arg-type]
            if type(item) is Record:
                if file_ledger.see(item.key, item.content_hash) != "conflict":
                    if run_ledger.see(item.key, item.content_hash) == "same":
                        item.duplicate = True
                else:
                    item = QuarantineItem(row.file, row.line, row.raw(),  # type: ignore[union-attr]
                                          "duplicate_conflict", "registration key seen "
                                          "earlier in this file with different content")
            yield item


def assert_same_stream(paths: list[Path]) -> int:
    got = list(iter_records(paths, today=TODAY))
    want = list(one_row_at_a_time(paths))
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g == w and repr(g) == repr(w)
        if type(w) is Record:
            assert g.duplicate == w.duplicate  # type: ignore[union-attr]
    return len(got)


def test_the_messy_folder_streams_exactly_as_one_row_at_a_time(
        messy: tuple[Path, int, int]) -> None:  # noqa: F811
    folder, valid, quarantined = messy
    assert assert_same_stream([folder]) == valid + quarantined


def _bench_generator():  # type: ignore[no-untyped-def]
    path = Path(__file__).parents[2] / "bench" / "bench_dry_run.py"
    spec = importlib.util.spec_from_file_location("bench_dry_run", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_dry_run", module)
    spec.loader.exec_module(module)
    return module.generate


@pytest.mark.parametrize("rows", [3000])
def test_a_bench_export_streams_exactly_as_one_row_at_a_time(tmp_path: Path, rows: int) -> None:
    path = tmp_path / "export.csv"
    _bench_generator()(path, rows, seed=3)
    n = assert_same_stream([path])
    counts = validate_paths([path], today=TODAY)
    assert counts.read == n > rows and counts.quarantined > 0 and counts.duplicates > 0
    assert counts.flags["virtual_phone"] > 0 and counts.flags["invalid_id:bad_check_digit"] > 0


def test_plain_blocks_tally_as_their_rows_parsed_one_by_one(
        messy: tuple[Path, int, int], tmp_path: Path) -> None:  # noqa: F811
    folder, _, _ = messy
    export = tmp_path / "export.csv"
    _bench_generator()(export, 3000, seed=5)
    plain = 0
    for path in [*source_files([folder]), export]:
        if path.suffix not in (".csv", ".tsv"):
            continue
        with open_csv(path) as opened:
            assert opened is not None
            for block in blocks.blocks(opened, 40, 4000):
                plain += blocks.plain_cells(opened.spec, block) is not None
                got = tally.tally_block(opened.spec, block, TODAY)
                rows, tail = blocks.parse(opened.spec, block)
                want = tally.tally_rows(rows, TODAY)
                for name in ("keys", "contents", "lines"):
                    assert getattr(got, name).tolist() == getattr(want, name).tolist()
                assert (got.flags, got.flagged, got.items, got.tail) == (
                    want.flags, want.flagged, want.items, tail)
    assert plain > 100  # nearly every block of the export takes the plain path


def reference_tally(vals: list[str], extra: dict[str, str]) -> Tally | RecordError:
    try:
        record, content = parse_fields_content(vals, dict(extra), today=TODAY)
    except RecordError as exc:
        return exc
    assert record.content_hash == blake2b("\x1f".join(content).encode("utf-8", "surrogatepass"),
                                          digest_size=16).hexdigest()
    return hash((record.hospital, record.registration_id)), hash(tally_parts(record, content)), \
        record.flags


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(rows_strategy, st.booleans())
def test_tallies_agree_with_the_one_row_validator(
        rows: list[tuple[tuple[str, ...], int]], with_extras: bool) -> None:
    columns = [list(c) for c in zip(*(r for r, _ in rows), strict=True)]
    extras = [dict(EXTRAS[e]) for _, e in rows] if with_extras else None
    got = tally_columns(columns, extras, today=TODAY)
    for (vals, e), result in zip(rows, got, strict=True):
        want = reference_tally(list(vals), EXTRAS[e] if with_extras else {})
        if isinstance(want, RecordError):
            assert isinstance(result, RecordError)
            assert (result.code, result.message) == (want.code, want.message)
        else:
            assert result == want, vals


def two_digits(low: int, high: int) -> st.SearchStrategy[str]:
    return st.integers(low, high).map("{:02d}".format)


def digits(n: int) -> st.SearchStrategy[str]:
    return st.text("0123456789", min_size=n, max_size=n)


EDGES = {5: ["00", "13", "02"], 8: ["00", "29", "30", "31", "32"], 11: ["24", "23"],
         14: ["60", "59"], 17: ["60", "59"]}  # position in "YYYY-MM-DD HH:MM:SS": values


def edged(text: str, at: int, value: str) -> str:
    return text if at < 0 else text[:at] + EDGES[at][int(value) % len(EDGES[at])] + text[at + 2:]


birth_dates = st.tuples(
    st.dates(date(1880, 1, 1), date(2030, 12, 31)).map("{:%Y-%m-%d}".format),
    st.sampled_from([-1, 5, 8]), st.integers(0, 9),
).map(lambda t: edged(t[0], t[1], str(t[2])).replace("-", ""))
id_numbers = st.tuples(st.sampled_from(["11", "99", "44", "00", "83"]), digits(4), birth_dates,
                       digits(3), st.sampled_from("0123456789Xx")).map("".join)


@settings(max_examples=300)
@given(st.lists(st.one_of(id_numbers, st.text("0123456789X ", min_size=14, max_size=19)),
                min_size=1, max_size=40))
def test_id_numbers_judged_together_match_parse_id_card(ids: list[str]) -> None:
    keys, invalid, legacy = _id_flags(ids, TODAY)
    for raw, key, flag, old in zip(ids, keys, invalid, legacy, strict=True):
        card = parse_id_card(raw, today=TODAY)
        assert key == card.key
        assert flag == (None if card.reason is None else f"invalid_id:{card.reason}")
        assert old == ("legacy_id" if card.legacy else None)


@given(st.lists(st.text(st.characters(max_codepoint=0x7F)) | st.text()))
def test_printable_is_isprintable(texts: list[str]) -> None:
    assert [_printable(text) for text in texts] == [text.isprintable() for text in texts]
    assert _printables(texts) == [text.isprintable() for text in texts]


@settings(max_examples=300)
@given(st.lists(st.one_of(
    st.tuples(
        st.datetimes(min_value=datetime(1960, 1, 1), max_value=datetime(2110, 12, 31)).map(
            lambda d: d.isoformat(" ", "milliseconds") if d.microsecond % 2 else
            d.isoformat(" ")),
        st.sampled_from([-1, *EDGES]), st.integers(0, 9),
    ).map(lambda t: edged(t[0], t[1], str(t[2]))),
    st.tuples(st.integers(1969, 2101).map(str), st.sampled_from(["-", "/"]),
              two_digits(0, 13), st.just("-"), two_digits(0, 32), st.sampled_from([" ", "T"]),
              two_digits(0, 25), st.just(":"), two_digits(0, 61), st.just(":"),
              two_digits(0, 61), st.sampled_from(["", ".123", ".1234", ".000001"])).map("".join),
    st.just("")),
    min_size=1, max_size=40))
def test_datetimes_stamped_together_match_parse_datetime(texts: list[str]) -> None:
    stamps, left = _canonical_numbers(texts)
    assert left == [i for i, stamp in enumerate(stamps) if stamp is None]
    for text, stamp in zip(texts, stamps, strict=True):
        if not text:
            assert stamp == NO_TIME
            continue
        try:
            want = time_number(parse_datetime(text))
        except ValueError:
            assert stamp is None
        else:
            assert stamp in (None, want)
            if len(text) in (19, 23, 26) and text[10] == " " and text[4] == "-":
                assert stamp == want  # the common forms are decided in the batch


@given(st.lists(st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2100, 12, 31)),
                min_size=2, max_size=2))
def test_time_numbers_order_and_tell_apart_as_the_stamps_do(times: list[datetime]) -> None:
    a, b = (t.replace(tzinfo=CST) for t in times)
    assert (time_number(a) == time_number(b)) is (_stamp(a) == _stamp(b)) is (a == b)
    assert (time_number(a) < time_number(b)) is (a < b)
    assert time_number(None) < min(time_number(a), time_number(b))


def counts_of_stream(paths: list[Path], quarantine: Path) -> tuple[object, ...]:
    """What the dry run must report, counted from the full record stream."""
    counts = Counts()
    with QuarantineWriter(quarantine) as writer:
        for item in iter_records(paths, today=TODAY):
            counts.add(item)
            if type(item) is QuarantineItem:
                writer.write(item)
    return counts.read, counts.valid, counts.quarantined, counts.duplicates, counts.reasons, \
        counts.flags


@pytest.mark.parametrize("workers", [0, 1, 2])
def test_the_dry_run_counts_what_the_record_stream_holds(
        messy: tuple[Path, int, int], tmp_path: Path, workers: int,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    folder, _, _ = messy
    export = tmp_path / "exports" / "z_bench.csv"
    _bench_generator()(export, 2500, seed=5)
    (tmp_path / "exports" / "z_again.csv").write_bytes(export.read_bytes())  # later file
    want = counts_of_stream([folder], tmp_path / "want.jsonl")
    # small batches: workers start on the small files too, and files end mid-queue
    monkeypatch.setattr(blocks, "BLOCK_LINES", 3)
    monkeypatch.setattr(blocks, "BLOCK_BYTES", 700)
    monkeypatch.setattr(tally, "BATCH_ROWS", 3)
    got = validate_paths([folder], quarantine_path=tmp_path / "got.jsonl", today=TODAY,
                         workers=workers)
    assert (got.read, got.valid, got.quarantined, got.duplicates, got.reasons,
            got.flags) == want
    assert got.duplicates > 2400  # the second copy repeats each valid row of the first
    assert (tmp_path / "got.jsonl").read_bytes() == (tmp_path / "want.jsonl").read_bytes()


@pytest.mark.parametrize("agent", [False, True])
@settings(max_examples=200)
@given(phones=st.lists(st.one_of(
    st.tuples(st.sampled_from(["1", "0", "2"]), digits(2), digits(8)).map("".join),
    st.sampled_from(["+86 138-0013-8000", "", "abc", "１３８００１３８０００", "1380013800a",
                     "170 1234 567"])), min_size=1, max_size=30))
def test_phones_judged_together_match_parse_phone(phones: list[str], agent: bool) -> None:
    prefix = "agent_" if agent else ""
    keys, flags = _phone_flags(phones, agent)
    for raw, key, flag in zip(phones, keys, flags, strict=True):
        _, want_key, want_flag = _phone_facts(raw, prefix)
        assert (key, flag) == (want_key, want_flag)
        if raw:
            phone = parse_phone(raw)
            assert key == phone.key and (flag == f"{prefix}virtual_phone") == phone.virtual

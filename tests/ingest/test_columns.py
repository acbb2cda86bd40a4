"""Rules applied over whole columns give what the per-value rule gives, value for value."""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa

from scalpernet.identifiers import check_char, parse_id_card
from scalpernet.ingest.rows import _card_facts, _cards, _ip, _ips, _phone, _phones, _time, _times

TEXTS = ["2025-02-26 19:00:00", "2025-02-28 23:59:59", "2024-02-29 00:00:00",
         "2025-02-29 10:00:00", "2025-02-30 10:00:00", "2025-04-31 08:00:00",
         "2025-02-28 23:59:60", "2025-02-28 24:00:00", "2025-02-28 10:60:00",
         "1969-12-31 23:59:59", "1970-01-01 00:00:00", "2100-12-31 23:59:59",
         "2101-01-01 00:00:00", "1899-01-01 00:00:00", "2025-2-8 9:05:00", "2025/3/5 8:00",
         "2025-03-05T08:00:00", "2025-03-05 08:00:00+09:00", "2025-03-05 08:00:00.5",
         "2025年3月5日 08:00:00", "2025-03-05", "", "昨天", "2025-03-05 08:00:00 ",
         "0000-01-01 00:00:00", "9999-12-31 23:59:59", "+2025-03-05 08:00:00",
         "2025-03-03T08:00:00.000+08:00", "2025-03-02T18:00:00.025+08:00",
         "2025-03-02 18:00:02.5", "2025-03-02 18:00:02.123456", "2025-03-02T18:00:02+08:00",
         "2025-03-02T18:00:02.1234567", "2025-03-02T18:00:02.000+09:00",
         "2025-03-02T18:00:02.000+0800", "2025-02-30T18:00:02.000+08:00",
         "2101-03-02T18:00:02.000+08:00", "2025-03-02T18:00:02.+08:00"]


def test_whole_column_times_equal_the_rule() -> None:
    value, usable = _times(pa.array(TEXTS, pa.string()))
    assert list(zip(value.to_pylist(), usable.to_pylist(), strict=True)) == [
        _time(t) for t in TEXTS]
    assert sum(usable.to_pylist()) >= 10 and not all(usable.to_pylist())


def _ids() -> list[str]:
    rng = np.random.default_rng(7)
    bodies = ["".join(map(str, rng.integers(0, 10, 17))) for _ in range(300)]
    real = [f"{r}{y}{m:02d}{d:02d}{n:03d}" for r, y, m, d, n in zip(
        ["110105", "510114", "440300", "999999", "830000"] * 60,
        rng.integers(1890, 2030, 300), rng.integers(0, 14, 300), rng.integers(0, 33, 300),
        rng.integers(0, 1000, 300), strict=True)]
    right = [b + check_char(b) for b in real]
    wrong = [b + ("X" if check_char(b) != "X" else "0") for b in real]
    return [*right, *wrong, *(b + "5" for b in bodies), "11010519491231002x", "",
            "110105194912310021", "11010519491231002X", " 110105194912310021", "110105491231002",
            "１１０１０５１９４９１２３１００２Ｘ", "1101051949123100", "11010519491231002Y",
            "20000229", "110105200002290021", "110105190002290021", "110105210001010021"]


def test_whole_column_id_cards_equal_the_rule() -> None:
    texts = _ids()
    today = date(2026, 12, 3)
    got = list(zip(*(c.to_pylist() for c in _cards(pa.array(texts), today)), strict=True))
    assert got == [_card_facts(parse_id_card(t, today=today)) for t in texts]
    assert 100 < sum(g[1] for g in got) < len(texts)  # valid and invalid ones both


def test_whole_column_phones_equal_the_rule() -> None:
    texts = ["13800138000", "17012345678", "16212345678", "12345678901", "1380013800",
             "+86 138-0013-8000", "010-12345678", "", "abc", "19911622151", "138001380001",
             "１３８００１３８０００", "14700000000"]
    for prefix in ("", "agent_"):
        got = list(zip(*(c.to_pylist() for c in _phones(pa.array(texts), prefix)),
                       strict=True))
        assert got == [_phone(t, prefix) for t in texts]


def test_whole_column_ips_equal_the_rule() -> None:
    texts = ["58.30.1.2", "0.0.0.0", "0.0.0.1", "10.1.2.3", "100.64.0.1", "127.0.0.1",
             "169.254.1.1", "172.16.0.1", "172.32.0.1", "192.168.1.1", "192.0.2.7",
             "198.51.100.1", "203.0.113.7", "192.0.0.5", "198.19.255.255", "224.0.0.1",
             "255.255.255.255", "256.1.1.1", "01.2.3.4", "1.2.3", "1.2.3.4.5", "", "bad ip",
             "203.0.113.7:51234", "::1", "2001:db8::1", "::ffff:10.0.0.1", "1.2.3.04",
             "99.255.0.9", "240.0.0.0"]
    got = list(zip(*(c.to_pylist() for c in _ips(pa.array(texts))), strict=True))
    assert got == [_ip(t) for t in texts]

"""Datetimes read over whole columns give what the per-value rule gives, value for value."""

from __future__ import annotations

import pyarrow as pa

from scalpernet.ingest.rows import _time, _times

TEXTS = ["2025-02-26 19:00:00", "2025-02-28 23:59:59", "2024-02-29 00:00:00",
         "2025-02-29 10:00:00", "2025-02-30 10:00:00", "2025-04-31 08:00:00",
         "2025-02-28 23:59:60", "2025-02-28 24:00:00", "2025-02-28 10:60:00",
         "1969-12-31 23:59:59", "1970-01-01 00:00:00", "2100-12-31 23:59:59",
         "2101-01-01 00:00:00", "1899-01-01 00:00:00", "2025-2-8 9:05:00", "2025/3/5 8:00",
         "2025-03-05T08:00:00", "2025-03-05 08:00:00+09:00", "2025-03-05 08:00:00.5",
         "2025年3月5日 08:00:00", "2025-03-05", "", "昨天", "2025-03-05 08:00:00 ",
         "0000-01-01 00:00:00", "9999-12-31 23:59:59", "+2025-03-05 08:00:00"]


def test_whole_column_times_equal_the_rule() -> None:
    value, usable = _times(pa.array(TEXTS, pa.string()))
    assert list(zip(value.to_pylist(), usable.to_pylist(), strict=True)) == [
        _time(t) for t in TEXTS]
    assert sum(usable.to_pylist()) >= 10 and not all(usable.to_pylist())

"""Small contract-format exports for ingestion tests (valid rows plus chosen bad ones)."""

from __future__ import annotations

import csv
from pathlib import Path

from scalpernet.identifiers.idcard import check_char

HEADER = ["registration_id", "hospital", "department", "doctor", "slot_time", "released_at",
          "booked_at", "paid_at", "status", "cancelled_at", "fee_yuan", "patient_name",
          "id_number", "phone", "visit_card", "account_id", "device_id", "ip", "payer_account",
          "payer_channel", "escort_agent_id", "escort_agent_name", "escort_agent_phone"]


def id_number(i: int) -> str:
    body = f"110105{1950 + i % 50:04d}{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
    return body + check_char(body)


def row(i: int, prefix: str = "R") -> list[str]:
    """A valid booking; entities repeat so merges are exercised."""
    return [f"{prefix}{i:07d}", "H1", "心内科", f"D{i % 7}", "2026-03-02 08:00:00",
            "2026-03-01 18:00:00", f"2026-03-01 18:00:{i % 60:02d}.{i % 1000:03d}", "",
            "booked", "", "300", f"患者{i % 997}", id_number(i % 997), f"138{i % 5000:08d}",
            "", f"acc-{i % 300}", f"dev-{i % 200}", f"10.{i % 7}.{i % 251}.{i % 13}",
            f"payer-{i % 400}", "alipay", "", "", ""]


def write_export(path: Path, n: int, *, bad: int = 0, prefix: str = "R") -> int:
    """Write `n` valid rows plus `bad` rows missing their booking time; returns rows written."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        for i in range(n):
            out.writerow(row(i, prefix))
        for i in range(bad):
            broken = row(n + i, prefix)
            broken[HEADER.index("booked_at")] = "not a time"
            out.writerow(broken)
    return n + bad

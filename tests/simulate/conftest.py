"""A small city shared by the simulator's tests, read back the way ingestion would see it."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from scalpernet.identifiers import normalise_name, parse_id_card, parse_ip, parse_phone
from scalpernet.simulate import Summary, simulate

RECORDS = 20_000
SEED = 11


@dataclass
class City:
    summary: Summary
    rows: list[dict[str, str]]
    truth: dict

    def members(self, **match: str) -> list[dict]:
        return [dict(m, gang=g["id"]) for g in self.truth["gangs"] for m in g["members"]
                if all(m.get(k) == v for k, v in match.items())]

    def innocent(self, why: str) -> set[tuple[str, str]]:
        return {(i["kind"], i["key"]) for i in self.truth["innocent"] if i["why"] == why}


def read_rows(files: list[Path]) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for path in files:
        with path.open(encoding="utf-8", newline="") as fh:
            rows.extend(csv.DictReader(fh))
    return rows


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


def latency_s(row: dict[str, str]) -> float:
    return (ts(row["booked_at"]) - ts(row["released_at"])).total_seconds()


def entity_keys(row: dict[str, str]) -> set[tuple[str, str]]:
    """The contract entity keys (§2) one row links to, keyed with the project's functions."""
    keys: set[tuple[str, str]] = set()
    card = parse_id_card(row["id_number"])
    keys.add(("id_card", card.key))
    keys.add(("patient", f"{card.key}|{normalise_name(row['patient_name'])}"))
    for column in ("phone", "escort_agent_phone"):
        if row[column]:
            keys.add(("phone", parse_phone(row[column]).key))
    if row["ip"]:
        ip = parse_ip(row["ip"])
        assert ip is not None, row["ip"]
        keys.add(("ip", ip.key))
    for column, kind in (("payer_account", "payer"), ("escort_agent_id", "escort_agent"),
                         ("account_id", "account"), ("device_id", "device")):
        if row[column].strip():
            keys.add((kind, row[column].strip()))
    return keys


@pytest.fixture(scope="session")
def city(tmp_path_factory: pytest.TempPathFactory) -> City:
    out = tmp_path_factory.mktemp("city")
    summary = simulate(out, records=RECORDS, seed=SEED, fmt="csv")
    truth = json.loads(summary.truth.read_text(encoding="utf-8"))
    return City(summary, read_rows(summary.files), truth)

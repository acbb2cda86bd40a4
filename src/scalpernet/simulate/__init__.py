"""The synthetic city: registrations for demos, tests and measuring detection, with truth.

``simulate(out_dir, records=..., seed=..., fmt=...)`` writes one file set per hospital
(``registrations_<code>_<part>.<fmt>``) in the contract's record format plus ``truth.json``,
and returns a :class:`Summary`. Same seed, same bytes.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from scalpernet.simulate.city import HospitalResult, generate_hospital
from scalpernet.simulate.truth import Truth
from scalpernet.simulate.world import World, WorldParams, build_world
from scalpernet.simulate.writer import FORMATS

__all__ = ["FORMATS", "Summary", "WorldParams", "simulate"]


@dataclass(frozen=True)
class Summary:
    """What :func:`simulate` wrote."""

    out_dir: Path
    files: list[Path]
    truth: Path
    records: int
    hospitals: int
    days: int
    gangs: int
    gang_members: int
    gang_bookings: int
    innocent: int
    seconds: float


@lru_cache(maxsize=1)
def _worker_world(params: WorldParams) -> World:
    """The world a worker process builds once for all the hospitals it generates."""
    return build_world(params)


def _one_hospital(params: WorldParams, index: int, out_dir: str, fmt: str) -> HospitalResult:
    return generate_hospital(_worker_world(params), index, Path(out_dir), fmt)


def simulate(out_dir: str | Path, records: int = 100_000, seed: int = 1, fmt: str = "csv",
             *, workers: int | None = None, params: WorldParams | None = None) -> Summary:
    """Write a synthetic city of ``records`` registrations and its ``truth.json``.

    ``params`` overrides the world's defaults (its ``records`` and ``seed`` are replaced by
    the arguments). ``workers`` processes generate hospitals in parallel (default: one per
    CPU); the output does not depend on it.
    """
    began = time.perf_counter()
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    params = replace(params or WorldParams(), records=records, seed=seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    world = build_world(params)
    n_hosp = len(world.hospitals)
    workers = max(1, min(n_hosp, workers or os.cpu_count() or 1))
    truth = Truth(world.gangs, world.columns)
    files: list[Path] = []
    rows = 0

    def gather(r: HospitalResult) -> None:
        nonlocal rows
        truth.add(r.members, r.innocent, r.gang_bookings)
        files.extend(out / name for name in r.files)
        rows += r.rows

    if workers == 1:
        for i in range(n_hosp):
            gather(generate_hospital(world, i, out, fmt))
    else:
        # largest hospitals first, so the last worker is not left alone with a big one
        order = sorted(range(n_hosp), key=lambda i: -sum(world.quota[i]))
        with ProcessPoolExecutor(workers) as pool:
            futures = {i: pool.submit(_one_hospital, params, i, str(out), fmt) for i in order}
            for i in range(n_hosp):  # in hospital order; each result is let go once gathered
                gather(futures.pop(i).result())
    world_info = {
        "records": params.records, "seed": params.seed, "start": params.start.isoformat(),
        "days": world.days, "format": fmt, "profile": params.profile,
        "columns": list(world.columns),
        "hospitals": [{"code": h.code, "name": h.name,
                       "release": f"{h.release_minute // 60:02d}:{h.release_minute % 60:02d}",
                       "days_ahead": h.lead_days,
                       "maintenance": [f"{m // 60:02d}:{m % 60:02d}" for m in h.maintenance],
                       "hot_doctors": [d.code for d in h.hot],
                       "wifi_ips": h.wifi_ips}
                      for h in world.hospitals],
    }
    path = out / "truth.json"
    truth.write(path, world_info)
    return Summary(
        out_dir=out, files=files, truth=path, records=rows, hospitals=n_hosp, days=world.days,
        gangs=len(world.gangs), gang_members=sum(truth.size(g.id) for g in world.gangs),
        gang_bookings=sum(truth.bookings.values()), innocent=len(truth.innocent),
        seconds=time.perf_counter() - began,
    )

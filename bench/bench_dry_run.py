"""Benchmark of the ingestion dry run: rows per second and peak memory against file size.

Generates contract-format CSV exports (deterministic, with realistic repetition of patients,
IPs and payers, and ~2% dirty rows), runs the dry run on each in a fresh process and prints
rows/s and peak RSS, so that memory can be compared between a small and a big file.

    .venv/bin/python bench/bench_dry_run.py                 # 250k and 1M rows
    .venv/bin/python bench/bench_dry_run.py --rows 100000   # one size
    .venv/bin/python bench/bench_dry_run.py --file export.csv
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

HEADER = (
    "registration_id,hospital,department,doctor,slot_time,released_at,booked_at,paid_at,"
    "status,cancelled_at,fee_yuan,patient_name,id_number,phone,visit_card,account_id,"
    "device_id,ip,payer_account,payer_channel,escort_agent_id,escort_agent_name,"
    "escort_agent_phone\n"
)
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英"
DEPARTMENTS = ("心内科", "产科", "儿科", "神经内科", "消化内科", "眼科", "皮肤科", "骨科")
STATUSES = ("booked", "booked", "booked", "attended", "attended", "cancelled", "no_show",
            "已预约", "已取消")
CHANNELS = ("alipay", "wechat", "unionpay", "支付宝", "微信")
FEES = ("300", "50", '"¥1,200"')
PROVINCES = ("110105", "310104", "440106", "510107", "320102", "330106", "420106")


def _id_number(rng: random.Random) -> str:
    born = date(1940, 1, 1) + timedelta(days=rng.randrange(30_000))
    body = f"{rng.choice(PROVINCES)}{born:%Y%m%d}{rng.randrange(1000):03d}"
    check = "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]
    return body + check


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """Write ``rows`` data rows in the contract's CSV format (UTF-8)."""
    rng = random.Random(seed)
    n_patients = max(10, rows // 3)
    patients = []
    for i in range(n_patients):
        name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
        id_number = _id_number(rng)
        if i % 97 == 0:  # placeholder identities: junk name, wrong check digit
            name, id_number = str(rng.randrange(100, 999)), id_number[:17] + "0"
        segment = "170" if i % 53 == 0 else rng.choice(("138", "139", "186", "135"))
        patients.append((name, id_number, f"{segment}{rng.randrange(10**8):08d}"))
    ips = [f"{rng.randrange(1, 223)}.{rng.randrange(256)}.{rng.randrange(256)}."
           f"{rng.randrange(1, 255)}" for _ in range(max(10, rows // 50))]
    payers = [f"pay{rng.randrange(10**9):09d}" for _ in range(max(10, rows // 20))]
    base = datetime(2025, 3, 1, 18, 0, 0)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        buffer = []
        for i in range(rows):
            name, id_number, phone = patients[rng.randrange(n_patients)]
            release = base + timedelta(days=rng.randrange(60))
            booked = release + timedelta(milliseconds=rng.randrange(20, 600_000))
            slot = release + timedelta(days=7, hours=rng.randrange(-10, 0) + 18)
            status = rng.choice(STATUSES)
            cancelled = f"{booked + timedelta(hours=2):%Y-%m-%d %H:%M:%S}" if (
                status in ("cancelled", "已取消")) else ""
            booked_text = f"{booked:%Y-%m-%d %H:%M:%S}.{booked.microsecond // 1000:03d}"
            if i % 211 == 0:
                booked_text = "2025-02-30 25:00"  # quarantined: bad_datetime
            agent = ",,"
            if i % 10 == 0:
                agent_no = rng.randrange(500)
                agent = f"E{agent_no:04d},陪诊{agent_no},13{rng.randrange(10**9):09d}"
            buffer.append(
                f"R{i:09d},H{rng.randrange(20):02d},{rng.choice(DEPARTMENTS)},"
                f"D{rng.randrange(400):04d},{slot:%Y-%m-%d %H:%M:%S},"
                f"{release:%Y-%m-%d %H:%M:%S},{booked_text},"
                f"{booked + timedelta(seconds=30):%Y-%m-%d %H:%M:%S},{status},{cancelled},"
                f"{rng.choice(FEES)},{name},{id_number},{phone},"
                f"V{rng.randrange(10**8):08d},A{rng.randrange(rows // 4 + 1):08d},"
                f"DEV{rng.randrange(rows // 8 + 1):08d},{rng.choice(ips)},{rng.choice(payers)},"
                f"{rng.choice(CHANNELS)},{agent}\n"
            )
            if i % 499 == 0 and buffer:  # an exact duplicate row (exported twice)
                buffer.append(buffer[-1])
            if len(buffer) >= 10_000:
                out.write("".join(buffer))
                buffer.clear()
        out.write("".join(buffer))


def _peak_rss_mb() -> float:
    """This process's peak RSS. VmHWM on Linux: ru_maxrss survives exec, so a child
    would report the generating parent's peak instead of its own."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_one(path: Path) -> dict[str, float | int]:
    """Dry-run one file in this process; report rows, seconds, rows/s, CPU and peak RSS."""
    from scalpernet.ingest.validate import validate_paths

    start, cpu_start = time.perf_counter(), time.process_time()
    counts = validate_paths([path], quarantine_path=None)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    return {"rows": counts.read, "valid": counts.valid, "quarantined": counts.quarantined,
            "duplicates": counts.duplicates, "seconds": round(seconds, 2),
            "rows_per_s": round(counts.read / seconds), "cpu_s": round(cpu, 2),
            "rows_per_cpu_s": round(counts.read / cpu),
            "peak_rss_mb": round(_peak_rss_mb(), 1),
            "file_mb": round(path.stat().st_size / 2**20, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="*", default=[250_000, 1_000_000])
    parser.add_argument("--file", type=Path, help="dry-run this export instead of generating")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)  # child process mode
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one)))
        return
    with tempfile.TemporaryDirectory(prefix="bench-dry-run-") as tmp:
        if args.file:
            targets = [args.file]
        else:
            targets = []
            for rows in args.rows:
                path = Path(tmp) / f"export_{rows}.csv"
                started = time.perf_counter()
                generate(path, rows)
                print(f"generated {rows:,} rows ({path.stat().st_size / 2**20:.0f} MB) in "
                      f"{time.perf_counter() - started:.1f}s", flush=True)
                targets.append(path)
        for path in targets:
            # Other work on a shared machine slows the wall clock: say how busy it was, and
            # give rows per CPU-second (this process alone) beside rows per second
            load = os.getloadavg()[0]
            # a fresh process per file, so each peak RSS is that run's own
            command = [sys.executable, __file__, "--one", str(path)]
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            result = json.loads(out)
            print(f"{path.name}: {result['rows']:,} rows ({result['file_mb']} MB) in "
                  f"{result['seconds']}s = {result['rows_per_s']:,} rows/s (CPU "
                  f"{result['cpu_s']}s = {result['rows_per_cpu_s']:,} rows per CPU-second; "
                  f"load average {load:.1f} before, {os.getloadavg()[0]:.1f} after, on "
                  f"{os.cpu_count()} CPUs), peak RSS {result['peak_rss_mb']} MB (valid "
                  f"{result['valid']:,}, "
                  f"quarantined {result['quarantined']:,}, exact duplicates "
                  f"{result['duplicates']:,})", flush=True)


if __name__ == "__main__":
    main()

"""Time to a case report for a big gang: figures, HTML and PDF, for 1,000 / 7,000 / 20,000
registrations (7,000 is the Chengdu gang's slots on record).

The network comes from ``views.sample``; its registrations are drawn here (bookings
20 ms-2 min after an 18:00 release over 60 days, 3 hospitals, 40 doctors, 12 payers),
so no database is needed. Measured: the figures (``report.figures.compute``), the HTML render
for an analyst (masked) and, with ``--pdf``, printing by headless Chromium; and the sizes.

    .venv/bin/python bench/bench_report.py [--sizes 1000 7000 20000] [--pdf]

Say the machine load (``uptime``) beside the figures.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from scalpernet.api.present import Presenter
from scalpernet.export.source import Booking
from scalpernet.privacy import RefCipher, load_ref_keyring
from scalpernet.report.figures import compute
from scalpernet.report.render import print_pdf, render_report
from scalpernet.views.sample import sample_network

CST = timezone(timedelta(hours=8))


def bookings(n: int, patients: list[str], seed: int = 3) -> list[Booking]:
    rng = random.Random(seed)
    start = datetime(2026, 3, 1, 18, 0, tzinfo=CST)
    out = []
    for i in range(n):
        released = start + timedelta(days=rng.randrange(60))
        latency = rng.choice((21, 35, 60, 180, 900, 2_500, 70_000))
        booked = released + timedelta(milliseconds=latency)
        out.append(Booking(props={
            "key": f"H{i % 3}|R{i}", "registration_id": f"R{i}", "hospital": f"H{i % 3}",
            "department": "产科", "doctor": f"D{rng.randrange(40)}",
            "released_at": released.isoformat(), "booked_at": booked.isoformat(),
            "latency_ms": latency, "status": rng.choice(("booked", "attended", "cancelled")),
            "fee_yuan": "300.00", "payer_channel": "alipay", "source_file": "export.csv",
            "source_line": i + 2}, links={
            "PAID_BY": [f"payer:pay-{rng.randrange(12)}"],
            "FOR": [rng.choice(patients)], "FROM_IP": ["ip:203.0.113.7"]}))
    out.sort(key=lambda b: (b.props["booked_at"], b.props["key"]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 7_000, 20_000])
    parser.add_argument("--pdf", action="store_true", help="also print each to PDF")
    args = parser.parse_args()
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1, 5 min), "
          f"{os.cpu_count()} cores")
    network = sample_network(400)
    patients = [f"patient:{m.key}" for m in network.members if m.kind == "patient"]
    with tempfile.TemporaryDirectory() as folder:
        keyring = load_ref_keyring(Path(folder) / "refs.json")
    present = Presenter(RefCipher(keyring), masked=True)
    for n in args.sizes:
        regs = bookings(n, patients)
        t0 = time.perf_counter()
        figures = compute(network, regs)
        t1 = time.perf_counter()
        html = render_report(network, regs, n, figures, present, lang="zh-CN",
                             run_id="bench", case=None, generated=datetime.now(UTC))
        t2 = time.perf_counter()
        line = (f"{n:>7,} registrations: figures {1000 * (t1 - t0):7.0f} ms, "
                f"HTML {1000 * (t2 - t1):7.0f} ms, {len(html) / 1e6:5.1f} MB")
        if args.pdf:
            pdf = print_pdf(html)
            t3 = time.perf_counter()
            line += f", PDF {t3 - t2:6.1f} s, {len(pdf) / 1e6:5.1f} MB"
        print(line, flush=True)


if __name__ == "__main__":
    main()

"""Fault injection against the real local Neo4j: what a user and the graph see when things break.

Each scenario empties the graph, breaks something while ``scalpernet ingest`` or
``scalpernet nightly --once`` runs (kill -9 of the ingest or of Neo4j, a graceful stop, Neo4j
staying down, a full disk for the quarantine, a slow sender into the drop folder, two
ingests at once, typed and messy files), then reruns as a user would. For each it reports:
valid rows of the exports, registrations in the graph and distinct keys (the two must equal
the valid rows: nothing lost, nothing twice), the final status of every run record and how
many are still ``running`` (must be 0), and the lines the user saw on stderr (error lines
and tracebacks; a fault must be one line, never a trace).

    SCALPERNET_DATA_DIR=$PWD/.test-data SCALPERNET_BOLT_PORT=7704 \\
        .venv/bin/python bench/bench_faults.py [--rows 20000] [--only NAME ...] \\
        [--markdown bench/results/faults.md]

It stops and starts the local server of ``SCALPERNET_DATA_DIR`` (never an external one).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.ingest.exports import HEADER, row, write_export  # noqa: E402

from scalpernet.config import get_settings  # noqa: E402
from scalpernet.graph import get_graph  # noqa: E402
from scalpernet.graph.schema import ensure_schema, reset_graph  # noqa: E402
from scalpernet.graph.session import close_graph  # noqa: E402
from scalpernet.ingest import runs  # noqa: E402
from scalpernet.localserver import LocalServer  # noqa: E402

BIN = [sys.executable, "-m", "scalpernet"]


@dataclass
class Outcome:
    """One scenario's result row."""

    name: str
    valid: int
    stored: int = 0
    distinct: int = 0
    statuses: list[str] = field(default_factory=list)
    running: int = 0
    error_lines: int = 0
    tracebacks: int = 0
    note: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return (self.stored == self.distinct == self.valid and self.running == 0
                and self.tracebacks == 0)


@dataclass
class Seen:
    """What the user saw on stderr, over every command of a scenario."""

    errors: int = 0
    tracebacks: int = 0
    worst: int = 0  # most error lines one command printed
    lines: list[str] = field(default_factory=list)

    def add(self, stderr: str) -> None:
        errors = [ln for ln in stderr.splitlines() if ln.startswith("error:")]
        self.errors += len(errors)
        self.worst = max(self.worst, len(errors))
        self.tracebacks += stderr.count("Traceback")
        self.lines += errors


class Bench:
    def __init__(self, rows: int, work: Path) -> None:
        self.rows = rows
        #: Rows per batch: a tenth of an export (at least 100, at most 1,000), so that a
        #: fault at 30 % of a small export still falls between batches.
        self.batch = str(min(1000, max(100, rows // 10)))
        self.work = work
        self.settings = get_settings()
        self.server = LocalServer(self.settings)
        # English: the scenarios count the lines that start with "error:"
        self.env = {**os.environ, "SCALPERNET_NEO4J_RETRY_WAITS": "1,2,4,8,16,32",
                    "SCALPERNET_LANG": "en"}

    # -- helpers ---------------------------------------------------------------------------
    def graph(self):
        graph = get_graph()
        ensure_schema(graph)
        return graph

    def fresh(self, name: str) -> Path:
        self.server.start()
        reset_graph(self.graph())
        folder = self.work / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        return folder

    def cli(self, args: list[str], seen: Seen, env: dict[str, str] | None = None,
            timeout: float = 900) -> int:
        done = subprocess.run([*BIN, *args], env=env or self.env, capture_output=True,
                              text=True, timeout=timeout)
        seen.add(done.stderr)
        return done.returncode

    def spawn(self, args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
        return subprocess.Popen([*BIN, *args], env=env or self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def registrations(self) -> tuple[int, int]:
        graph = self.graph()
        records, _, _ = graph.driver.execute_query(
            "MATCH (r:Registration) RETURN count(r) AS n, count(DISTINCT r.key) AS keys",
            database_=graph.database)
        return records[0]["n"], records[0]["keys"]

    def wait_rows(self, at_least: int, proc: subprocess.Popen | None = None,
                  timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while self.registrations()[0] < at_least:
            if proc is not None and proc.poll() is not None:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"fewer than {at_least} rows after {timeout} s")
            time.sleep(0.2)

    def finish(self, out: Outcome, seen: Seen, started: float, *, passes: bool = False) -> Outcome:
        self.server.start()
        close_graph()  # a driver that outlived a killed server
        graph = self.graph()
        ingest_runs = runs.recent_runs(graph, limit=1000)  # settles dead runs, as `runs` does
        out.statuses = [r["status"] for r in reversed(ingest_runs)]
        out.running = sum(1 for s in out.statuses if s == "running")
        if passes:
            records, _, _ = graph.driver.execute_query(
                "MATCH (p:NightlyPass) RETURN p.status AS s ORDER BY p.started_at",
                database_=graph.database)
            statuses = [r["s"] for r in records]
            out.statuses += [f"pass:{s}" for s in statuses]
            out.running += sum(1 for s in statuses if s == "running")
        out.stored, out.distinct = self.registrations()
        out.error_lines = seen.worst
        out.tracebacks = seen.tracebacks
        out.seconds = time.monotonic() - started
        if seen.lines and not out.note:
            out.note = seen.lines[-1][:140]
        return out

    def export(self, folder: Path, name: str = "big.csv", bad: int = 5) -> tuple[Path, int]:
        path = folder / name
        write_export(path, self.rows, bad=bad, prefix=name[0].upper())
        return path, self.rows

    # -- scenarios -------------------------------------------------------------------------
    def kill_ingest(self, fraction: float) -> Outcome:
        started, seen = time.monotonic(), Seen()
        folder = self.fresh(f"kill-ingest-{int(fraction * 100)}")
        path, valid = self.export(folder)
        proc = self.spawn(["ingest", "--batch-size", self.batch, str(path)])
        self.wait_rows(int(valid * fraction), proc)
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        rc = self.cli(["ingest", str(path)], seen)
        return self.finish(Outcome(f"kill -9 ingest at {fraction:.0%}", valid,
                                   note=f"rerun exit {rc}"), seen, started)

    def neo4j_fault(self, how: str, fraction: float = 0.4, down_s: float = 3.0) -> Outcome:
        started, seen = time.monotonic(), Seen()
        folder = self.fresh(f"neo4j-{how}")
        path, valid = self.export(folder)
        proc = self.spawn(["ingest", "--batch-size", self.batch, str(path)])
        self.wait_rows(int(valid * fraction), proc)
        if how == "kill":
            pid = self.server.pid()
            assert pid is not None
            os.kill(pid, signal.SIGKILL)
            while self.server.pid() is not None:
                time.sleep(0.1)
            self.server.pid_file.unlink(missing_ok=True)
        else:
            self.server.stop()
        time.sleep(down_s)
        close_graph()
        self.server.start()
        _, err = proc.communicate(timeout=900)
        seen.add(err)
        note = f"first run exit {proc.returncode}"
        if proc.returncode != 0:
            note += f", rerun exit {self.cli(['ingest', str(path)], seen)}"
        label = {"kill": "kill -9 Neo4j mid-ingest", "stop": "graceful Neo4j stop mid-ingest"}
        return self.finish(Outcome(label[how], valid, note=note), seen, started)

    def neo4j_stays_down(self) -> Outcome:
        started, seen = time.monotonic(), Seen()
        folder = self.fresh("neo4j-down")
        path, valid = self.export(folder)
        env = {**self.env, "SCALPERNET_NEO4J_RETRY_WAITS": "1,2"}
        proc = self.spawn(["ingest", "--batch-size", self.batch, str(path)], env=env)
        self.wait_rows(int(valid * 0.3), proc)
        self.server.stop()
        _, err = proc.communicate(timeout=600)
        seen.add(err)
        close_graph()
        self.server.start()
        rc = self.cli(["ingest", str(path)], seen)
        return self.finish(Outcome("Neo4j stays down", valid,
                                   note=f"exit {proc.returncode}, rerun exit {rc}"),
                           seen, started)

    def full_disk(self) -> Outcome:
        started, seen = time.monotonic(), Seen()
        folder = self.fresh("full-disk")
        path, valid = self.export(folder)
        first = self.cli(["ingest", "--quarantine", "/dev/full", str(path)], seen)
        rc = self.cli(["ingest", "--quarantine", str(folder / "q.jsonl"), str(path)], seen)
        lines = len((folder / "q.jsonl").read_bytes().splitlines())
        return self.finish(Outcome("quarantine on a full disk (/dev/full)", valid,
                                   note=f"exit {first}, rerun exit {rc}, {lines} quarantined"),
                           seen, started)

    def concurrent(self) -> Outcome:
        started, seen = time.monotonic(), Seen()
        folder = self.fresh("concurrent")
        a, n = self.export(folder, "a.csv")
        b, _ = self.export(folder, "b.csv")
        c, _ = self.export(folder, "c.csv")
        one = self.spawn(["ingest", "--batch-size", self.batch, str(a), str(b)])
        two = self.spawn(["ingest", "--batch-size", self.batch, str(b), str(c)])
        codes = []
        for proc in (one, two):
            _, err = proc.communicate(timeout=900)
            seen.add(err)
            codes.append(proc.returncode)
        return self.finish(Outcome("two ingests of overlapping files at once", 3 * n,
                                   note=f"exits {codes}"), seen, started)

    def typed(self) -> Outcome:
        started, seen = time.monotonic(), Seen()
        folder = self.fresh("typed")
        n = 50
        rows = [row(i, "P") for i in range(n)]
        data = {h: pa.array([r[j] for r in rows]) for j, h in enumerate(HEADER)}
        phones = [1.7616710332e10] * (n - 2) + [17616710332.5, 2.0**60]
        pq.write_table(pa.table({**data, "phone": pa.array(phones)}), folder / "typed.parquet")
        with (folder / "excel.csv").open("w", encoding="utf-8") as out:
            out.write(",".join(HEADER) + "\n")
            for i, phone in enumerate(["1.7616710332E+10", "17616710332.0", "1.76167E+10"]):
                cells = row(i, "E")
                cells[HEADER.index("phone")] = phone
                out.write(",".join(cells) + "\n")
        rc = self.cli(["ingest", str(folder)], seen)
        graph = self.graph()
        records, _, _ = graph.driver.execute_query(
            "MATCH (p:Phone)<-[:CONTACT]-(r:Registration) RETURN p.key AS key, count(r) AS n",
            database_=graph.database)
        phones_seen = ", ".join(f"{r['key']}×{r['n']}" for r in records)
        return self.finish(Outcome("typed Parquet (float64 phones) + spreadsheet CSV",
                                   n - 2 + 2, note=f"exit {rc}; phones {phones_seen}"),
                           seen, started)

    def messy(self) -> Outcome:
        started, seen = time.monotonic(), Seen()
        folder = self.fresh("messy")
        write_export(folder / "good.csv", 300, prefix="G")
        write_export(folder / os.fsdecode(b"name\xa6.csv"), 200, bad=2, prefix="N")
        (folder / "no_id.csv").write_text("registration_id,hospital\nX,Y\n", encoding="utf-8")
        (folder / "saved_wrong.csv").write_bytes(b"PK\x03\x04" + bytes(range(256)) * 8)
        (folder / "cut.csv").write_text(",".join(HEADER) + "\n" + ",".join(row(1, "K"))
                                        + '\n"R2,H1,"unterminated', encoding="utf-8")
        (folder / "blank.csv").write_text(",".join(HEADER) + "\n\n,,,\n" + ",".join(
            row(7, "B")) + "\n", encoding="utf-8")
        (folder / "notes.pdf").write_bytes(b"%PDF-1.4")
        rc = self.cli(["ingest", str(folder)], seen)
        rerun = self.cli(["ingest", str(folder)], seen)
        return self.finish(Outcome("messy folder (bad header, binary, cut, blank, odd name)",
                                   300 + 200 + 1 + 1, note=f"exit {rc}, rerun exit {rerun}; "
                                   f"{seen.errors} error lines in all"), seen, started)

    def slow_sender(self) -> Outcome:
        started, seen = time.monotonic(), Seen()
        folder = self.fresh("slow-sender")
        drop = folder / "drop"
        drop.mkdir()
        env = {**self.env, "SCALPERNET_DATA_DIR": str(folder / "data"),
               "NEO4J_PASSWORD": self.settings.password or "",
               "SCALPERNET_DROP_DIR": str(drop), "SCALPERNET_DROP_SETTLE_S": "1",
               "SCALPERNET_NIGHTLY_RETRY_WAITS": "1", "SCALPERNET_BOLT_PORT":
               str(self.settings.bolt_port)}
        total, first = self.rows, self.rows // 2
        done = threading.Event()

        def reading() -> bool:  # a pass took the half file and is reading it
            graph = self.graph()
            records, _, _ = graph.driver.execute_query(
                "MATCH (r:IngestRun {status: 'running'}) RETURN count(r) AS n",
                database_=graph.database)
            return records[0]["n"] > 0

        def sender() -> None:  # half the file, a pause until a pass reads it, the rest
            with (drop / "slow.csv").open("w", encoding="utf-8") as out:
                out.write(",".join(HEADER) + "\n")
                for i in range(first):
                    out.write(",".join(row(i, "S")) + "\n")
                out.flush()
                until = time.monotonic() + 300
                while not reading() and time.monotonic() < until:
                    time.sleep(0.05)
                for i in range(first, total):
                    out.write(",".join(row(i, "S")) + "\n")
                    if i % 500 == 0:
                        out.flush()
                        time.sleep(0.2)
            done.set()

        writer = threading.Thread(target=sender)
        writer.start()
        codes: list[int] = []
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            codes.append(self.cli(["nightly", "--once"], seen, env=env))
            if done.is_set() and not (drop / "slow.csv").exists():
                break
            time.sleep(0.5)
        writer.join()
        return self.finish(Outcome("slow sender: pauses past the settle time, resumes while "
                                   "a pass reads", total,
                                   note=f"{len(codes)} passes, exits {sorted(set(codes))}"),
                           seen, started, passes=True)


SCENARIOS: dict[str, Callable[[Bench], Outcome]] = {
    "kill30": lambda b: b.kill_ingest(0.3),
    "kill60": lambda b: b.kill_ingest(0.6),
    "kill90": lambda b: b.kill_ingest(0.9),
    "neo4j-kill": lambda b: b.neo4j_fault("kill"),
    "neo4j-stop": lambda b: b.neo4j_fault("stop"),
    "neo4j-down": Bench.neo4j_stays_down,
    "full-disk": Bench.full_disk,
    "slow-sender": Bench.slow_sender,
    "concurrent": Bench.concurrent,
    "typed": Bench.typed,
    "messy": Bench.messy,
}


def table(outcomes: list[Outcome]) -> str:
    lines = ["| scenario | valid rows | in graph | distinct | run records (oldest first) | "
             "left running | error lines (most per command) | tracebacks | ok | notes |",
             "|---|---:|---:|---:|---|---:|---:|---:|---|---|"]
    for o in outcomes:
        lines.append(f"| {o.name} | {o.valid:,} | {o.stored:,} | {o.distinct:,} | "
                     f"{', '.join(o.statuses)} | {o.running} | {o.error_lines} | "
                     f"{o.tracebacks} | {'yes' if o.ok else 'NO'} | "
                     f"{o.note.replace('|', '/')} ({o.seconds:.0f} s) |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--only", nargs="*", choices=sorted(SCENARIOS))
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()
    if get_settings().external:
        sys.exit("bench_faults stops and kills the local server: unset NEO4J_URI")
    bench = Bench(args.rows, Path(tempfile.mkdtemp(prefix="bench-faults-")))
    outcomes = []
    for name in args.only or list(SCENARIOS):
        outcome = SCENARIOS[name](bench)
        print(table([outcome]).splitlines()[-1], flush=True)
        outcomes.append(outcome)
    text = table(outcomes)
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(text)
    print(f"machine: {load}")
    if args.markdown:
        command = "bench/bench_faults.py " + " ".join(sys.argv[1:])
        args.markdown.write_text(
            "# Fault injection (bench/bench_faults.py)\n\n"
            f"    SCALPERNET_DATA_DIR=... SCALPERNET_BOLT_PORT=... .venv/bin/python {command}\n\n"
            f"{args.rows:,} rows per export; machine: `{load}`\n\n{text}\n", encoding="utf-8")
    shutil.rmtree(bench.work, ignore_errors=True)
    sys.exit(0 if all(o.ok for o in outcomes) else 1)


if __name__ == "__main__":
    main()

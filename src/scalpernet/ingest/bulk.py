"""The bulk load: a first backfill into an empty database through Neo4j's offline importer.

The exports go through the same path as every run (:func:`~scalpernet.ingest.validate.
iter_batches`: the same rows, quarantine file and counts), and their valid rows are written
as the importer's node and relationship files, in the model the transactional writer builds
(``docs/graph-model.md``): one registration per key (the newest version, as the writer keeps
it), each entity once. Then ``neo4j-admin database import full`` builds the store while the
local server is stopped, the server starts again, the schema is applied, and the run is
recorded as ``IngestRun`` and ``IngestedFile`` nodes exactly as a transactional run records
them, so the next ``ingest`` or nightly pass continues on top and skips these files by
checksum.

Only an empty database is loaded this way. Until the run is recorded a marker file says a
bulk load is under way: a load stopped at any point (killed, the importer failing) leaves
either the empty database or the marker, and rerunning the same command imports again over
whatever the stopped import left. For a server named by ``NEO4J_URI`` the files are written
and the importer command to run there is printed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from scalpernet.config import Settings
from scalpernet.errors import ScalperNetError
from scalpernet.ingest import runs
from scalpernet.ingest.quarantine import QuarantineWriter
from scalpernet.ingest.readers import ReadStats, source_files
from scalpernet.ingest.rows import iso
from scalpernet.ingest.validate import FileReport, IngestReport, iter_batches

#: Registration properties and their importer types (the writer's ``ingest_registrations``).
REGISTRATION = (
    ("registration_id", "string"), ("hospital", "string"), ("department", "string"),
    ("doctor", "string"), ("slot_time", "datetime"), ("released_at", "datetime"),
    ("booked_at", "datetime"), ("paid_at", "datetime"), ("cancelled_at", "datetime"),
    ("last_event", "datetime"), ("latency_ms", "long"), ("status", "string"),
    ("fee_yuan", "string"), ("visit_card", "string"), ("payer_channel", "string"),
    ("ip_raw", "string"), ("extra", "string"), ("flags", "string[]"),
    ("content_hash", "string"), ("source_file", "string"), ("source_line", "long"),
    ("ingest_run", "string"),
)
#: Per entity label: (kind, key column, properties as (column, name, type)).
ENTITIES: dict[str, tuple[str, str, tuple[tuple[str, str, str], ...]]] = {
    "IDCard": ("id_card", "id_card", (("id_valid", "valid", "boolean"),
                                      ("id_reason", "invalid_reason", "string"),
                                      ("id_birth_date", "birth_date", "date"),
                                      ("id_sex", "sex", "string"),
                                      ("id_region", "region", "string"))),
    "IP": ("ip", "ip", (("ip_version", "version", "long"), ("ip_private", "private", "boolean"),
                        ("ip_range", "range", "string"))),
    "Account": ("account", "account", ()),
    "Device": ("device", "device", ()),
    "Patient": ("patient", "patient", (("patient_name", "name", "string"),
                                       ("junk_name", "junk_name", "boolean"),
                                       ("junk_reason", "junk_reason", "string"))),
}
#: Relationships from a registration: (type, column, end label).
LINKS = (("FOR", "patient", "Patient"), ("CONTACT", "phone", "Phone"), ("FROM_IP", "ip", "IP"),
         ("ON_DEVICE", "device", "Device"), ("BY_ACCOUNT", "account", "Account"),
         ("PAID_BY", "payer", "Payer"), ("VIA_AGENT", "agent", "EscortAgent"))
RELATIONSHIPS = frozenset({*(kind for kind, _, _ in LINKS), "HAS_ID", "HAS_PHONE"})
MARKER = "bulk-load.json"


class BulkError(ScalperNetError):
    """A bulk load cannot start or did not finish (rerun the same command to finish it)."""


@dataclass(slots=True)
class _Files:
    """The importer's files of one run: a header file and numbered parts per node label
    and relationship type; entities seen, so each is written once."""

    folder: Path
    parts: dict[str, list[Path]] = field(default_factory=dict)
    seen: dict[str, set[str]] = field(default_factory=dict)
    payers: dict[str, str | None] = field(default_factory=dict)
    agents: dict[str, str | None] = field(default_factory=dict)
    agent_phones: set[tuple[str, str]] = field(default_factory=set)
    phones: dict[str, tuple[str, bool]] = field(default_factory=dict)

    def header(self, name: str, columns: list[str]) -> None:
        (self.folder / f"{name}.header.csv").write_text(",".join(columns) + "\n")
        self.parts.setdefault(name, [])

    def write(self, name: str, table: pa.Table) -> None:
        if not table.num_rows:
            return
        path = self.folder / f"{name}.{len(self.parts[name]):05d}.csv"
        pacsv.write_csv(table, path, pacsv.WriteOptions(include_header=False))
        self.parts[name].append(path)

    def new(self, kind: str, keys: pa.Array) -> pa.Array:
        """A mask of the rows whose key this run writes for the first time."""
        seen = self.seen.setdefault(kind, set())
        mask = []
        for key in keys.to_pylist():
            first = key is not None and key not in seen
            if first:
                seen.add(key)
            mask.append(first)
        return pa.array(mask, pa.bool_())


def _prepare(files: _Files) -> None:
    files.header("Registration", ["key:ID(Registration)",
                                  *(f"{n}:{t}" for n, t in REGISTRATION), ":LABEL"])
    for label, (_, _, props) in ENTITIES.items():
        files.header(label, [f"key:ID({label})", "uid",
                             *(f"{n}:{t}" for _, n, t in props), ":LABEL"])
    files.header("Phone", ["key:ID(Phone)", "uid", "kind", "virtual:boolean", ":LABEL"])
    files.header("Payer", ["key:ID(Payer)", "uid", "channel", ":LABEL"])
    files.header("EscortAgent", ["key:ID(EscortAgent)", "uid", "name", ":LABEL"])
    for kind, _, end in LINKS:
        files.header(kind, [":START_ID(Registration)", f":END_ID({end})"])
    files.header("HAS_ID", [":START_ID(Patient)", ":END_ID(IDCard)"])
    files.header("HAS_PHONE", [":START_ID(EscortAgent)", ":END_ID(Phone)"])


def _text(column: pa.Array, prefix: str) -> pa.Array:
    return pc.binary_join_element_wise(pa.scalar(prefix), column, "")


def _write_batch(files: _Files, rows: pa.Table, run_id: str) -> None:
    """Write one batch's registrations, links and new entities."""
    n = rows.num_rows
    col = {name: rows.column(name).combine_chunks() for name in rows.column_names}
    regs = {"key": col["key"]}
    for name, kind in REGISTRATION:
        if kind == "datetime":
            regs[name] = iso(col[name])
        elif name == "flags":
            regs[name] = pc.if_else(pc.equal(pc.list_value_length(col[name]), 0),
                                    pa.scalar(None, pa.string()),
                                    pc.binary_join(col[name], ";"))
        elif name == "ingest_run":
            regs[name] = pa.array([run_id] * n, pa.string())
        else:
            regs[name] = col[name]
    regs["label"] = pa.array(["Registration"] * n, pa.string())
    files.write("Registration", pa.table(regs))
    for kind, column, _ in LINKS:
        present = pc.is_valid(col[column])
        files.write(kind, pa.table({"s": col["key"].filter(present),
                                    "e": col[column].filter(present)}))
    for label, (kind, key, props) in ENTITIES.items():
        new = files.new(kind, col[key])
        keys = col[key].filter(new)
        table = {"key": keys, "uid": _text(keys, f"{kind}:")}
        for source, name, _ in props:
            table[name] = (pc.is_valid(col["junk_reason"]) if name == "junk_name"
                           else col[source]).filter(new)
        table["label"] = pa.array([f"{label};Entity"] * len(keys), pa.string())
        files.write(label, pa.table(table))
        if label == "Patient":
            files.write("HAS_ID", pa.table({"s": keys, "e": col["id_card"].filter(new)}))
    for prefix in ("phone", "agent_phone"):
        for key, kind, virtual in zip(col[prefix].to_pylist(), col[f"{prefix}_kind"].to_pylist(),
                                      col[f"{prefix}_virtual"].to_pylist(), strict=True):
            if key is not None and key not in files.phones:
                files.phones[key] = (kind, virtual)
    for key, channel in zip(col["payer"].to_pylist(), col["payer_channel"].to_pylist(),
                            strict=True):
        if key is not None and files.payers.get(key) is None:
            files.payers[key] = channel
    for key, name, phone in zip(col["agent"].to_pylist(), col["agent_name"].to_pylist(),
                                col["agent_phone"].to_pylist(), strict=True):
        if key is not None:
            if files.agents.get(key) is None:
                files.agents[key] = name
            if phone is not None:
                files.agent_phones.add((key, phone))


def _write_rest(files: _Files) -> None:
    """The entities whose properties are the first known of all rows: phones, payers,
    escort agents and their phones."""
    phones = sorted(files.phones.items())
    files.write("Phone", pa.table({
        "key": [k for k, _ in phones], "uid": [f"phone:{k}" for k, _ in phones],
        "kind": [v[0] for _, v in phones], "virtual": [v[1] for _, v in phones],
        "label": ["Phone;Entity"] * len(phones)}))
    for label, kind, values, name in (("Payer", "payer", files.payers, "channel"),
                                      ("EscortAgent", "escort_agent", files.agents, "name")):
        items = sorted(values.items())
        files.write(label, pa.table({
            "key": pa.array([k for k, _ in items], pa.string()),
            "uid": pa.array([f"{kind}:{k}" for k, _ in items], pa.string()),
            name: pa.array([v for _, v in items], pa.string()),
            "label": pa.array([f"{label};Entity"] * len(items), pa.string())}))
    pairs = sorted(files.agent_phones)
    files.write("HAS_PHONE", pa.table({"s": pa.array([a for a, _ in pairs], pa.string()),
                                       "e": pa.array([p for _, p in pairs], pa.string())}))


def _keep_newest(files: _Files, later: set[str]) -> int:
    """Keep one version of each registration exported more than once with other content:
    the one a transactional run keeps (the newest last event; of equal ones, the later
    row). Returns how many versions were dropped."""
    if not later:
        return 0
    names = ["key", *(n for n, _ in REGISTRATION), "label"]
    best: dict[str, tuple[str, int, int]] = {}  # key -> (last event, part, row)
    for index, part in enumerate(files.parts["Registration"]):
        table = _read(part, names)
        keys = table.column("key").to_pylist()
        events = table.column("last_event").to_pylist()
        for row, (key, event) in enumerate(zip(keys, events, strict=True)):
            if key in later and (key not in best or event >= best[key][0]):
                best[key] = (event, index, row)
    dropped = 0
    for index, part in enumerate(files.parts["Registration"]):
        table = _read(part, names)
        keep = [k not in later or best[k][1:] == (index, row)
                for row, k in enumerate(table.column("key").to_pylist())]
        if all(keep):
            continue
        dropped += keep.count(False)
        mask = pa.array(keep)
        pacsv.write_csv(table.filter(mask), part, pacsv.WriteOptions(include_header=False))
        for kind, _, _ in LINKS:  # a dropped version's links go with it
            if index < len(files.parts[kind]):
                links = _read(files.parts[kind][index], ["s", "e"])
                gone = {k for k, kept in zip(table.column("key").to_pylist(), keep,
                                             strict=True) if not kept}
                stay = pa.array([s not in gone for s in links.column("s").to_pylist()])
                pacsv.write_csv(links.filter(stay), files.parts[kind][index],
                                pacsv.WriteOptions(include_header=False))
    return dropped


def _read(path: Path, names: list[str]) -> pa.Table:
    return pacsv.read_csv(path, read_options=pacsv.ReadOptions(column_names=names),
                          parse_options=pacsv.ParseOptions(newlines_in_values=True),
                          convert_options=pacsv.ConvertOptions(
                              column_types=dict.fromkeys(names, pa.string())))


def importer_args(files: _Files, database: str) -> list[str]:
    """The arguments of ``neo4j-admin`` that import ``files`` into ``database``."""
    args = ["database", "import", "full", database, "--overwrite-destination=true",
            "--multiline-fields=true", "--array-delimiter=;", "--ignore-empty-strings=true",
            "--high-parallel-io=on"]
    for name, parts in files.parts.items():
        if not parts:
            continue
        head = files.folder / f"{name}.header.csv"
        link = name in RELATIONSHIPS
        option = "--relationships" if link else "--nodes"
        label = f"{name}=" if link else ""
        args.append(f"{option}={label}{','.join(map(str, [head, *parts]))}")
    return args


def bulk_load(
    settings: Settings,
    paths: Iterable[Path | str],
    *,
    mapping: dict[str, str] | None = None,
    quarantine_path: Path | None = None,
    on_stage: Callable[[str, IngestReport], None] | None = None,
) -> IngestReport:
    """Validate the exports, write the importer's files, import, record the run."""
    from scalpernet.graph import Graph, get_graph
    from scalpernet.graph.schema import ensure_schema
    from scalpernet.graph.session import close_graph
    from scalpernet.ingest.pipeline import new_run_id
    from scalpernet.localserver import ADMIN_CLASS, LocalServer

    def stage(name: str) -> None:
        if on_stage is not None:
            on_stage(name, report)

    started = time.monotonic()
    server = LocalServer(settings)
    marker = settings.server_dir / MARKER
    resuming = marker.exists()
    graph: Graph = get_graph()
    if not resuming and graph.read("bulk_nodes")[0]["nodes"]:
        raise BulkError("the database is not empty: --bulk loads an empty database only; add "
                        "to it with plain `scalpernet ingest`, or empty it first with "
                        "`scalpernet db reset --yes`")
    run_id = orjson.loads(marker.read_bytes())["run_id"] if resuming else new_run_id()
    quarantine_path = quarantine_path or settings.data_dir / "quarantine" / f"{run_id}.jsonl"
    quarantine_path.unlink(missing_ok=True)  # a rerun writes it again whole
    report = IngestReport(run_id=run_id, quarantine_path=quarantine_path)
    files = _Files(settings.data_dir / "bulk" / run_id)
    shutil.rmtree(files.folder, ignore_errors=True)
    files.folder.mkdir(parents=True)
    _prepare(files)
    by_path: dict[str, FileReport] = {}
    todo = source_files(paths)
    for path in todo:
        report.files.append(FileReport(str(path), runs.file_checksum(path),
                                       path.stat().st_size))
        by_path[str(path)] = report.files[-1]
    stage("validating")
    later: set[str] = set()
    seen_keys: set[str] = set()
    stats = ReadStats()
    with QuarantineWriter(quarantine_path) as quarantine:
        for batch in iter_batches(todo, mapping, stats=stats):
            for item in batch.quarantined:
                quarantine.write(item)
            report.add(batch, by_path.get(batch.file))
            report.blank = stats.blank
            rows = batch.rows.filter(pa.array(~batch.duplicate))
            for key in rows.column("key").to_pylist():
                if key in seen_keys:
                    later.add(key)  # another file's other version of this booking
                else:
                    seen_keys.add(key)
            _write_batch(files, rows, run_id)
            stage("validating")
    del seen_keys
    _write_rest(files)
    dropped = _keep_newest(files, later)
    report.created = report.valid - report.duplicates - dropped
    report.already_present = report.duplicates + dropped
    report.check()
    args = importer_args(files, settings.neo4j_database)
    if settings.external:
        report.status = "files written"
        report.seconds = time.monotonic() - started
        stage("neo4j-admin " + " ".join(args))
        return report
    marker.write_bytes(orjson.dumps({"run_id": run_id}))
    stage("importing")
    close_graph()
    server.stop()
    env = {**os.environ, "NEO4J_HOME": str(server.home), "NEO4J_CONF": str(server.conf_dir)}
    done = subprocess.run([server.java(), f"-Xmx{settings.neo4j_heap}", "-cp",
                           f"{server.lib}/*", ADMIN_CLASS, *args], env=env, check=False,
                          cwd=server.home)
    if done.returncode != 0:
        raise BulkError(f"neo4j-admin import failed (exit {done.returncode}); see its output "
                        "above; rerun the same command to import again")
    stage("starting Neo4j")
    server.start()
    graph = get_graph()
    stage("applying the schema")
    ensure_schema(graph)
    graph.write("await_indexes")
    runs.start_run(graph, run_id, quarantine_path)
    for f in report.files:
        runs.mark_file(graph, checksum=f.checksum, path=Path(f.path), size=f.size,
                       status="complete", run_id=run_id, rows=f.read)
    report.status = "complete"
    report.seconds = time.monotonic() - started
    runs.finish_run(graph, run_id, "complete", report.counts(), report.file_list())
    marker.unlink()
    shutil.rmtree(files.folder, ignore_errors=True)
    stage("complete")
    return report

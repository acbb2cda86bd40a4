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
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from scalpernet.config import Settings
from scalpernet.errors import ScalperNetError
from scalpernet.ingest import runs
from scalpernet.ingest.collector import fewer_collections
from scalpernet.ingest.quarantine import QuarantineWriter
from scalpernet.ingest.readers import ReadStats, source_files
from scalpernet.ingest.rows import iso
from scalpernet.ingest.validate import FileReport, IngestReport, iter_batches
from scalpernet.ingest.versions import version_key

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
    and relationship type. Registrations and their links are written a batch at a time
    (part ``i`` of every one of them is batch ``i``); the entities of each batch are kept,
    each once per batch, and written once each at the end (:func:`_write_entities`)."""

    folder: Path
    parts: dict[str, list[Path]] = field(default_factory=dict)
    batches: int = 0
    entities: dict[str, list[pa.Table]] = field(default_factory=dict)

    def header(self, name: str, columns: list[str]) -> None:
        (self.folder / f"{name}.header.csv").write_text(",".join(columns) + "\n")
        self.parts.setdefault(name, [])

    def path(self, name: str, index: int) -> Path:
        return self.folder / f"{name}.{index:05d}.csv"

    def write(self, name: str, table: pa.Table, index: int | None = None) -> None:
        if not table.num_rows:
            return
        path = self.path(name, len(self.parts[name]) if index is None else index)
        pacsv.write_csv(table, path, pacsv.WriteOptions(include_header=False))
        self.parts[name].append(path)

    def keep(self, label: str, table: pa.Table, first: dict[str, bool]) -> None:
        """Keep this batch's entity rows of ``label``, one per key (see :func:`_first`)."""
        self.entities.setdefault(label, []).append(_first(table, first))


def _first(table: pa.Table, first: dict[str, bool]) -> pa.Table:
    """One row per key, in the order keys first appear; each other column is the value of
    the key's first row (``first[column]`` false) or its first non-null value (true)."""
    table = table.filter(pc.is_valid(table.column("key")))
    others = [c for c in table.column_names if c != "key"]
    grouped = table.group_by("key", use_threads=False).aggregate(
        [(c, "first", pc.ScalarAggregateOptions(skip_nulls=first[c])) for c in others])
    return grouped.rename_columns([c.removesuffix("_first") for c in grouped.column_names]
                                  ).select(["key", *others])


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


def _constant(value: str, n: int) -> pa.Array:
    return pc.fill_null(pa.nulls(n, pa.string()), value)


def _write_batch(files: _Files, rows: pa.Table, run_id: str) -> None:
    """Write one batch's registrations and links; keep its entities."""
    n = rows.num_rows
    index = files.batches
    files.batches += 1
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
            regs[name] = _constant(run_id, n)
        else:
            regs[name] = col[name]
    regs["label"] = _constant("Registration", n)
    files.write("Registration", pa.table(regs), index)
    for kind, column, _ in LINKS:
        present = pc.is_valid(col[column])
        files.write(kind, pa.table({"s": col["key"].filter(present),
                                    "e": col[column].filter(present)}), index)
    for label, (_, key, props) in ENTITIES.items():
        table = {"key": col[key], **{name: pc.is_valid(col["junk_reason"]) if name ==
                                     "junk_name" else col[source] for source, name, _ in props}}
        if label == "Patient":
            table["id_card"] = col["id_card"]
        files.keep(label, pa.table(table), dict.fromkeys(table, False))
    phones = pa.concat_tables(
        pa.table({"key": col[p], "kind": col[f"{p}_kind"], "virtual": col[f"{p}_virtual"]})
        for p in ("phone", "agent_phone"))
    files.keep("Phone", phones, {"kind": False, "virtual": False})
    files.keep("Payer", pa.table({"key": col["payer"], "channel": col["payer_channel"]}),
               {"channel": True})
    files.keep("EscortAgent", pa.table({"key": col["agent"], "name": col["agent_name"]}),
               {"name": True})
    pairs = pa.table({"key": pc.binary_join_element_wise(col["agent"], col["agent_phone"],
                                                         "\x1f"),
                      "s": col["agent"], "e": col["agent_phone"]})
    files.keep("HAS_PHONE", pairs, {"s": False, "e": False})


def _write_entities(files: _Files) -> None:
    """Every entity once, with the properties of its first row in the run (a payer's
    channel and an agent's name: the first known); phones, payers and agents by key."""
    first = {"Phone": {"kind": False, "virtual": False}, "Payer": {"channel": True},
             "EscortAgent": {"name": True}, "HAS_PHONE": {"s": False, "e": False}}
    kinds = {label: kind for label, (kind, _, _) in ENTITIES.items()}
    kinds |= {"Phone": "phone", "Payer": "payer", "EscortAgent": "escort_agent"}
    for label, tables in files.entities.items():
        table = pa.concat_tables(tables)
        table = _first(table, first.get(label) or dict.fromkeys(table.column_names, False))
        if label in ("Phone", "Payer", "EscortAgent", "HAS_PHONE"):
            table = table.sort_by("key")
        if label == "HAS_PHONE":
            files.write(label, table.select(["s", "e"]))
            continue
        keys = table.column("key")
        if label == "Patient":
            files.write("HAS_ID", pa.table({"s": keys, "e": table.column("id_card")}))
            table = table.drop_columns(["id_card"])
        table = table.add_column(1, "uid", _text(keys, f"{kinds[label]}:"))
        files.write(label, table.append_column("label",
                                               _constant(f"{label};Entity", len(keys))))
    files.entities.clear()


def _keep_newest(files: _Files, later: pa.Array) -> int:
    """Keep one version of each registration exported more than once with other content
    (``later``: their keys): the one a transactional run keeps (the greater
    :func:`~scalpernet.ingest.versions.version_key`). Returns how many were dropped."""
    if not len(later):
        return 0
    names = ["key", *(n for n, _ in REGISTRATION), "label"]
    best: dict[str, tuple[tuple[bool, Any, str], int, int]] = {}  # key -> (version, part, row)
    found: dict[int, pa.Table] = {}
    for part in files.parts["Registration"]:
        index = int(part.name.split(".")[1])
        table = _read(part, names)
        rows = pc.indices_nonzero(pc.is_in(table.column("key"), value_set=later))
        if not len(rows):
            continue
        found[index] = table
        for row, key, event, content in zip(
                rows.to_pylist(), pc.take(table.column("key"), rows).to_pylist(),
                pc.take(table.column("last_event"), rows).to_pylist(),
                pc.take(table.column("content_hash"), rows).to_pylist(), strict=True):
            version = version_key(event, content)
            if key not in best or version > best[key][0]:
                best[key] = (version, index, row)
    dropped = 0
    for index, table in found.items():
        keys = table.column("key").to_pylist()
        gone = [k for row, k in enumerate(keys) if k in best and best[k][1:] != (index, row)]
        if not gone:
            continue
        dropped += len(gone)
        stay = pc.invert(pc.is_in(table.column("key"), value_set=pa.array(gone, pa.string())))
        path = files.path("Registration", index)
        pacsv.write_csv(table.filter(stay), path, pacsv.WriteOptions(include_header=False))
        for kind, _, _ in LINKS:  # a dropped version's links go with it
            path = files.path(kind, index)
            if path.exists():
                links = _read(path, ["s", "e"])
                stay = pc.invert(pc.is_in(links.column("s"),
                                          value_set=pa.array(gone, pa.string())))
                pacsv.write_csv(links.filter(stay), path,
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


def unfinished(settings: Settings) -> str | None:
    """The run id of a bulk load into the local server that did not finish, if any."""
    marker = settings.server_dir / MARKER
    if settings.external or not marker.exists():
        return None
    return str(orjson.loads(marker.read_bytes())["run_id"])


def refuse_if_unfinished(settings: Settings) -> None:
    """Raise :class:`BulkError` when an unfinished bulk load holds the local database:
    what it left is neither empty nor complete, so nothing may be added to it."""
    run_id = unfinished(settings)
    if run_id is not None:
        raise BulkError(f"bulk load {run_id} did not finish: rerun the same "
                        "`scalpernet ingest --bulk` command to finish it, or empty the "
                        "database with `scalpernet db reset --yes`")


def _is_empty(settings: Settings) -> bool:
    """Whether the database holds no node; a stopped local server whose database was
    never created is empty without starting it."""
    from scalpernet.graph import get_graph
    from scalpernet.localserver import LocalServer

    server = LocalServer(settings)
    if not settings.external and server.pid() is None:
        if not (server.home / "data" / "databases" / settings.neo4j_database).exists():
            return True
        server.start()
    return not get_graph().read("bulk_nodes")[0]["nodes"]


_PHASE = re.compile(r"^\((\d)/(\d)\) ([A-Za-z ]+?) \d{4}-")


def _run_importer(settings: Settings, args: list[str], log_path: Path,
                  stage: Callable[[str], None]) -> None:
    """Run ``neo4j-admin`` with the local server stopped; its output goes to ``log_path``
    and each of its phases is reported as a stage."""
    from scalpernet.localserver import ADMIN_CLASS, LocalServer

    server = LocalServer(settings)
    server.fetch()
    server.write_config()  # a server never started has none yet
    env = {**os.environ, "NEO4J_HOME": str(server.home), "NEO4J_CONF": str(server.conf_dir)}
    cmd = [server.java(), f"-Xmx{settings.neo4j_heap}", "-cp", f"{server.lib}/*",
           ADMIN_CLASS, *args]
    with log_path.open("w", encoding="utf-8") as log, subprocess.Popen(
            cmd, env=env, cwd=server.home, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, text=True, errors="replace") as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            log.write(line)
            if match := _PHASE.match(line):
                stage(f"importing: {match[3].lower()} ({match[1]}/{match[2]})")
    if proc.returncode != 0:
        raise BulkError(f"neo4j-admin import failed (exit {proc.returncode}); its output is in "
                        f"{log_path}; rerun the same command to import again")


def bulk_load(
    settings: Settings,
    paths: Iterable[Path | str],
    *,
    mapping: dict[str, str] | None = None,
    quarantine_path: Path | None = None,
    on_stage: Callable[[str, IngestReport], None] | None = None,
) -> IngestReport:
    """Validate the exports, write the importer's files, import, record the run."""
    from scalpernet.graph import get_graph
    from scalpernet.graph.schema import ensure_schema
    from scalpernet.graph.session import close_graph
    from scalpernet.ingest.pipeline import new_run_id
    from scalpernet.localserver import LocalServer

    def stage(name: str) -> None:
        if on_stage is not None:
            on_stage(name, report)

    started = time.monotonic()
    server = LocalServer(settings)
    marker = settings.server_dir / MARKER
    run_id = unfinished(settings)
    if run_id is None and not _is_empty(settings):
        raise BulkError("the database is not empty: --bulk loads an empty database only; add "
                        "to it with plain `scalpernet ingest`, or empty it first with "
                        "`scalpernet db reset --yes`")
    run_id = run_id or new_run_id()
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
    later: list[pa.Array] = []
    stats = ReadStats()
    with QuarantineWriter(quarantine_path) as quarantine, fewer_collections() as collector:
        for batch in iter_batches(todo, mapping, stats=stats):
            for item in batch.quarantined:
                quarantine.write(item)
            report.add(batch, by_path.get(batch.file))
            report.blank = stats.blank
            if batch.later.any():  # another file's other version of a booking
                later.append(batch.rows.column("key").combine_chunks().filter(
                    pa.array(batch.later)))
            if batch.rows.num_rows:
                _write_batch(files, batch.rows.filter(pa.array(~batch.duplicate)), run_id)
                collector.rows(batch.rows.num_rows)
            stage("validating")
    stage("writing the entities")
    _write_entities(files)
    dropped = _keep_newest(files, pc.unique(pa.concat_arrays(later)) if later
                           else pa.array([], pa.string()))
    report.created = report.valid - report.duplicates - dropped
    report.already_present = report.duplicates + dropped
    report.check()
    args = importer_args(files, settings.neo4j_database)
    if settings.external:
        report.status = "files written"
        report.seconds = time.monotonic() - started
        stage("neo4j-admin " + " ".join(args))
        return report
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_bytes(orjson.dumps({"run_id": run_id}))
    stage("stopping Neo4j")
    close_graph()
    server.stop()
    stage("importing")
    _run_importer(settings, args, settings.data_dir / "bulk" / f"{run_id}.import.log", stage)
    stage("starting Neo4j")
    server.start()
    graph = get_graph()
    stage("applying the schema")
    ensure_schema(graph)
    graph.write("await_indexes")
    stage("recording the run")
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

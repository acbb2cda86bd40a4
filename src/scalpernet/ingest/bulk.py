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
from scalpernet.graph import Graph
from scalpernet.ingest import runs
from scalpernet.ingest.collector import fewer_collections
from scalpernet.ingest.entities import LABELS, entity_tables, first
from scalpernet.ingest.ledger import LATER
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
#: Importer types of the entities' columns, by Arrow type.
IMPORTER_TYPES = {pa.string(): "string", pa.bool_(): "boolean", pa.int64(): "long",
                  pa.date32(): "date"}
#: Relationships from a registration: (type, column, end label).
LINKS = (("FOR", "patient", "Patient"), ("CONTACT", "phone", "Phone"), ("FROM_IP", "ip", "IP"),
         ("ON_DEVICE", "device", "Device"), ("BY_ACCOUNT", "account", "Account"),
         ("PAID_BY", "payer", "Payer"), ("VIA_AGENT", "agent", "EscortAgent"))
RELATIONSHIPS = frozenset({*(kind for kind, _, _ in LINKS), "HAS_ID", "HAS_PHONE"})
#: Each relationship file's (start label, end label), for its integer ids.
ENDS = {**{kind: ("Registration", end) for kind, _, end in LINKS},
        "HAS_ID": ("Patient", "IDCard"), "HAS_PHONE": ("EscortAgent", "Phone")}
MARKER = "bulk-load.json"


class BulkError(ScalperNetError):
    """A bulk load cannot start or did not finish (rerun the same command to finish it)."""


@dataclass(slots=True)
class _Files:
    """The importer's files of one run: a header file and numbered parts per node label
    and relationship type. Registrations and their links are written a batch at a time
    (part ``i`` of every one of them is batch ``i``); the entities of each batch are kept,
    each once per batch, and written once each at the end (:func:`_write_entities`).

    Nodes are given integer ids (the importer maps integers much faster than strings):
    registrations in the order they are written, each label's entities in key order of
    first appearance. A link's end is written as its key and turned into the end's id
    once every entity is known (:func:`_link_ids`)."""

    folder: Path
    parts: dict[str, list[Path]] = field(default_factory=dict)
    batches: int = 0
    #: Registrations written so far: the next one's id.
    registrations: int = 0
    entities: dict[str, list[pa.Table]] = field(default_factory=dict)
    #: Each label's keys, in id order (set by :func:`_write_entities`).
    keys: dict[str, pa.Array] = field(default_factory=dict)
    #: Whether a value holds a line break: only then must the importer read fields across
    #: lines, which makes it read each file in one thread (measured several times slower).
    multiline: bool = False

    def header(self, name: str, columns: list[str]) -> None:
        (self.folder / f"{name}.header.csv").write_text(",".join(columns) + "\n")
        self.parts.setdefault(name, [])

    def path(self, name: str, index: int) -> Path:
        return self.folder / f"{name}.{index:05d}.csv"

    def write(self, name: str, table: pa.Table, index: int | None = None) -> None:
        if not table.num_rows:
            return
        path = self.path(name, len(self.parts[name]) if index is None else index)
        self.multiline = self.multiline or any(
            pc.any(pc.match_substring(column, brk)).as_py() for column in table.columns
            if pa.types.is_string(column.type) for brk in ("\n", "\r"))
        pacsv.write_csv(table, path, pacsv.WriteOptions(include_header=False))
        self.parts[name].append(path)


def _prepare(files: _Files) -> None:
    files.header("Registration", [":ID(Registration)", "key:string",
                                  *(f"{n}:{t}" for n, t in REGISTRATION), ":LABEL"])
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
    ids = pa.array(range(files.registrations, files.registrations + n), pa.int64())
    files.registrations += n
    regs = {"id": ids, "key": col["key"]}
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
        files.write(kind, pa.table({"s": ids.filter(present),
                                    "e": col[column].filter(present)}), index)
    for label, table in entity_tables(rows).items():
        files.entities.setdefault(label, []).append(table)


def _write_entities(files: _Files) -> None:
    """Every entity once (:func:`~scalpernet.ingest.entities.first` over every batch's),
    with its ``HAS_ID`` and ``HAS_PHONE`` links."""
    for label, tables in files.entities.items():
        table = first(pa.concat_tables(tables), label)
        if label == "HAS_PHONE":
            files.write(label, table.select(["agent", "phone"]))
            continue
        keys = table.column("key").combine_chunks()
        files.keys[label] = keys
        ids = pa.array(range(len(keys)), pa.int64())
        if label == "Patient":
            present = pc.is_valid(table.column("id_card"))
            files.write("HAS_ID", pa.table({"s": ids.filter(present),
                                            "e": table.column("id_card").filter(present)}))
            table = table.drop_columns(["id_card"])
        files.header(label, [f":ID({label})", "key:string", "uid", *(
            f"{f.name}:{IMPORTER_TYPES[f.type]}" for f in table.schema if f.name != "key"),
            ":LABEL"])
        table = table.add_column(0, "id", ids).add_column(2, "uid",
                                                         _text(keys, f"{LABELS[label][0]}:"))
        files.write(label, table.append_column("label",
                                               _constant(f"{label};Entity", len(keys))))
    files.entities.clear()


def _link_ids(files: _Files) -> None:
    """Turn the keys at the ends of links into their nodes' ids (``HAS_PHONE``: both ends),
    one relationship type at a time."""
    for kind, (start, end) in ENDS.items():
        parts = files.parts.get(kind) or []
        if not parts:
            continue
        # all parts at once: the lookup table of the end label's keys is built once
        table = pa.concat_tables([_read(path, ["s", "e"], {
            "s": pa.string() if kind == "HAS_PHONE" else pa.int64(), "e": pa.string()})
            for path in parts]).combine_chunks()  # (pyarrow's CSV writer garbles an empty chunk)
        for name, label in [("e", end)] + ([("s", start)] if kind == "HAS_PHONE" else []):
            found = pc.index_in(table.column(name), value_set=files.keys[label])
            if found.null_count:
                raise BulkError(f"{kind}: {found.null_count} links end at no {label}")
            table = table.set_column(table.column_names.index(name), name, found)
        for path in parts:
            path.unlink()
        files.parts[kind] = []
        files.write(kind, table)


def _keep_newest(files: _Files, later: pa.Array) -> int:
    """Keep one version of each registration exported more than once with other content
    (``later``: their keys): the one a transactional run keeps (the greater
    :func:`~scalpernet.ingest.versions.version_key`). Returns how many were dropped."""
    if not len(later):
        return 0
    names = ["id", "key", *(n for n, _ in REGISTRATION), "label"]
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
        gone = pa.array([i for row, (i, k) in enumerate(zip(
            table.column("id").to_pylist(), table.column("key").to_pylist(), strict=True))
            if k in best and best[k][1:] != (index, row)], pa.string())
        if not len(gone):
            continue
        dropped += len(gone)
        for kind in ("Registration", *(kind for kind, _, _ in LINKS)):
            path = files.path(kind, index)  # a dropped version's links go with it
            if path.exists():
                rows = table if kind == "Registration" else _read(path, ["s", "e"])
                stay = pc.invert(pc.is_in(rows.column(0), value_set=gone))
                pacsv.write_csv(rows.filter(stay), path,
                                pacsv.WriteOptions(include_header=False))
    return dropped


def _read(path: Path, names: list[str], types: dict[str, pa.DataType] | None = None
          ) -> pa.Table:
    types = types or dict.fromkeys(names, pa.string())
    if not path.stat().st_size:  # every row of the part dropped (:func:`_keep_newest`)
        return pa.table({n: pa.array([], types[n]) for n in names})
    return pacsv.read_csv(path, read_options=pacsv.ReadOptions(column_names=names),
                          parse_options=pacsv.ParseOptions(newlines_in_values=True),
                          convert_options=pacsv.ConvertOptions(column_types=types))


def importer_args(files: _Files, database: str) -> list[str]:
    """The arguments of ``neo4j-admin`` that import ``files`` into ``database``."""
    args = ["database", "import", "full", database, "--overwrite-destination=true",
            f"--multiline-fields={str(files.multiline).lower()}", "--array-delimiter=;",
            "--ignore-empty-strings=true", "--high-parallel-io=on", "--id-type=integer"]
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
    cmd = [server.java(), f"-Xmx{server.memory.heap}", "-cp", f"{server.lib}/*",
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


def _apply_schema(graph: Graph) -> None:
    """The schema's statements at once, each in its own session: a uniqueness constraint
    returns once its index is populated from the imported store, and populating them one
    after another left all but one CPU idle (an empty database has nothing to order)."""
    from concurrent.futures import ThreadPoolExecutor

    from scalpernet.graph.queries import load_statements

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        list(pool.map(lambda s: graph.retry(lambda: graph.driver.execute_query(
            s, database_=graph.database)), load_statements("schema")))
    graph.read("await_indexes")


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
    stale = 0
    stats = ReadStats()
    with QuarantineWriter(quarantine_path) as quarantine, fewer_collections() as collector:
        for batch in iter_batches(todo, mapping, stats=stats):
            for item in batch.quarantined:
                quarantine.write(item)
            report.add(batch, by_path.get(batch.file))
            report.blank = stats.blank
            later_rows = batch.verdict == LATER  # a newer version of a stored booking
            if later_rows.any():
                later.append(batch.rows.column("key").combine_chunks().filter(
                    pa.array(later_rows)))
            stale += int(batch.stale.sum())
            if batch.rows.num_rows:
                _write_batch(files, batch.rows.filter(pa.array(batch.written)), run_id)
                collector.rows(batch.rows.num_rows)
            stage("validating")
    stage("writing the entities")
    _write_entities(files)
    dropped = _keep_newest(files, pc.unique(pa.concat_arrays(later)) if later
                           else pa.array([], pa.string()))
    _link_ids(files)
    report.already_present = report.duplicates + stale + dropped
    report.created = report.valid - report.already_present
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
    _apply_schema(graph)
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

"""The ``scalpernet`` command: parses arguments and calls the modules that do the work."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from scalpernet.config import get_settings
from scalpernet.errors import InputError, ScalperNetError
from scalpernet.messages import LANGUAGES, choose_language, language, say

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="ScalperNet: map hospital appointment scalper networks.")
db_app = typer.Typer(no_args_is_help=True, help="The local Neo4j server.")
app.add_typer(db_app, name="db")


@app.callback()
def _language(
    lang: Annotated[str | None, typer.Option(
        "--lang", show_default=False,
        help="The language of what the command says: zh-CN (the default) or en; else "
             "SCALPERNET_LANG. JSON, files and exit codes are the same in both.")] = None,
) -> None:
    """ScalperNet: map hospital appointment scalper networks."""
    try:
        choose_language(lang)
    except ValueError:
        choose_language(None)
        _fail(say("lang.unknown", lang=lang, choices=", ".join(LANGUAGES)))


def _fail(message: str) -> None:
    typer.echo(say("error", message=message), err=True)
    raise typer.Exit(code=1)


def _writer_graph():
    """The graph for a command that writes: connected and with the schema in place."""
    from scalpernet.graph import get_graph
    from scalpernet.graph.schema import ensure_schema

    graph = get_graph()
    ensure_schema(graph)
    return graph


# -- db ----------------------------------------------------------------------------------
@db_app.command("start")
def db_start() -> None:
    """Fetch (first time) and start the local Neo4j server; waits until Bolt answers."""
    from scalpernet.localserver import LocalServer

    server = LocalServer(get_settings())
    was_running = not server.settings.external and server.pid() is not None
    status = server.start()
    where = say("db.external") if status.external else say("db.pid", pid=status.pid)
    typer.echo(say("db.running", version=status.version, edition=status.edition,
                   uri=status.uri, where=where))
    if not status.external and not was_running:  # a running server keeps what it started with
        memory = server.memory
        typer.echo(say("db.memory_set", heap=memory.heap, pagecache=memory.pagecache,
                       named=", ".join(memory.named)) if memory.planned_gib is None else
                   say("db.memory_advised", heap=memory.heap, pagecache=memory.pagecache,
                       planned=memory.planned_gib, total=memory.total_gib,
                       named="".join(f", {n}" for n in memory.named)))


@db_app.command("stop")
def db_stop() -> None:
    """Stop the local Neo4j server (no-op when it is not running)."""
    from scalpernet.localserver import LocalServer

    settings = get_settings()
    if settings.external:
        typer.echo(say("db.not_stopping", uri=settings.uri))
        return
    stopped = LocalServer(settings).stop()
    typer.echo(say("db.stopped") if stopped else say("db.was_not_running"))


@db_app.command("status")
def db_status() -> None:
    """Say whether the configured Neo4j answers; exit 1 when it does not."""
    from scalpernet.localserver import LocalServer

    status = LocalServer(get_settings()).status()
    if status.running:
        typer.echo(say("db.status_running", version=status.version, edition=status.edition,
                       uri=status.uri)
                   + ("" if status.external else say("db.status_pid", pid=status.pid)))
        return
    typer.echo(say("db.status_down", uri=status.uri, detail=status.detail))
    raise typer.Exit(code=1)


@db_app.command("reset")
def db_reset(
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: delete every node.")] = False,
) -> None:
    """Empty the graph (every node and relationship); the schema stays. An unfinished
    bulk load is forgotten with what it left."""
    from scalpernet.graph.schema import reset_graph
    from scalpernet.ingest.bulk import MARKER

    if not yes:
        _fail(say("db.reset_confirm"))
    deleted = reset_graph(_writer_graph())
    (get_settings().server_dir / MARKER).unlink(missing_ok=True)
    typer.echo(say("db.emptied", deleted=deleted))


# -- simulate ----------------------------------------------------------------------------
@app.command("simulate")
def simulate_cmd(
    out: Annotated[str, typer.Option("--out", help="Folder for the files and truth.json.")],
    records: Annotated[int, typer.Option("--records", help="Registrations to write.")] = 100_000,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same bytes.")] = 1,
    fmt: Annotated[str, typer.Option("--format", help="csv, jsonl or parquet.")] = "csv",
    world: Annotated[str, typer.Option(
        "--world", help="default, or wide: every gang behaviour drawn from its full range, "
                        "stealth gangs and more look-alikes.")] = "default",
    drop_columns: Annotated[str, typer.Option(
        "--drop-columns", help="Optional columns to leave out of the export, comma-separated "
                               "(e.g. device_id,account_id,escort_agent_id).")] = "",
) -> None:
    """Write a synthetic city's registrations and its truth.json (no database needed)."""
    from scalpernet.simulate import FORMATS, WorldParams, simulate

    if fmt not in FORMATS:
        _fail(say("simulate.format", formats=", ".join(FORMATS)))
    try:
        dropped = tuple(c.strip() for c in drop_columns.split(",") if c.strip())
        params = WorldParams(profile=world, drop_columns=dropped)
        summary = simulate(out, records=records, seed=seed, fmt=fmt, params=params)
    except ValueError as exc:
        _fail(str(exc))
        return
    for path in summary.files:
        typer.echo(say("wrote", path=path))
    typer.echo(say("wrote", path=summary.truth))
    typer.echo(say("simulate.summary", records=summary.records, hospitals=summary.hospitals,
                   days=summary.days, gangs=summary.gangs, members=summary.gang_members,
                   bookings=summary.gang_bookings, innocent=summary.innocent,
                   seconds=summary.seconds))


# -- serve, apikey (the HTTP API) ------------------------------------------------------------
apikey_app = typer.Typer(no_args_is_help=True, help="API keys for the HTTP API.")
app.add_typer(apikey_app, name="apikey")


@app.command("serve")
def serve_cmd(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (one Neo4j driver each).",
                                         min=1, max=64)] = 1,
) -> None:
    """Serve the Investigator HTTP API (uvicorn); every route but /health needs a key."""
    import uvicorn

    from scalpernet.api.app import log_config

    # uvicorn's access log is off: it prints paths, and a path can hold a phone number
    uvicorn.run("scalpernet.api:create_app", factory=True, host=host, port=port,
                workers=workers, access_log=False, proxy_headers=False,
                server_header=False, log_config=log_config())


@apikey_app.command("create")
def apikey_create(
    role: Annotated[str, typer.Option(help="investigator | analyst | admin | ingest")],
    name: Annotated[str, typer.Option(help="Who or what the key is for.")] = "",
) -> None:
    """Create a key; it is printed once, alone on the last line (only its hash is kept)."""
    from scalpernet.apikeys import create_key

    record, key = create_key(_writer_graph(), role, name)
    typer.echo(say("apikey.created", role=record["role"], id=record["id"],
                   name=say("apikey.name", name=record["name"]) if record["name"] else ""))
    typer.echo(key)


@apikey_app.command("list")
def apikey_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List keys (id, role, name, created, revoked); secrets are never stored."""
    import orjson

    from scalpernet.apikeys import list_keys

    keys = list_keys(_writer_graph())
    if as_json:
        typer.echo(orjson.dumps(keys, option=orjson.OPT_INDENT_2).decode())
        return
    for k in keys:
        revoked = (say("apikey.revoked_at", at=k["revoked_at"]) if k.get("revoked_at")
                   else say("apikey.active"))
        typer.echo(f"{k['id']}  {k['role']:<12}  {k['created_at']:%Y-%m-%d %H:%M}  "
                   f"{revoked:<24}  {k.get('name') or ''}")


@apikey_app.command("revoke")
def apikey_revoke(key_id: Annotated[str, typer.Argument(help="The key id (apikey list).")]
                  ) -> None:
    """Revoke a key; servers refuse it within seconds (their key cache lasts 5 s)."""
    from scalpernet.apikeys import revoke_key

    record = revoke_key(_writer_graph(), key_id)
    typer.echo(say("apikey.revoked", role=record["role"], id=record["id"]))


@apikey_app.command("rotate-refs")
def apikey_rotate_refs(
    grace_days: Annotated[float, typer.Option(
        help="Days references made under the current key stay readable.", min=0)] = 30.0,
) -> None:
    """Start a new reference key (ref_…); restart the servers to use it. References handed
    out under the old key keep working for the grace period, then find nothing."""
    from datetime import timedelta

    from scalpernet.privacy import REF_KEYS_FILE, rotate_ref_keys

    path = get_settings().data_dir / "api" / REF_KEYS_FILE
    keyring = rotate_ref_keys(path, grace=timedelta(days=grace_days))
    old = keyring.keys[-2]
    typer.echo(say("apikey.rotated", current=keyring.current.id, old=old.id,
                   until=old.expires_at, path=path))


# -- ingest --------------------------------------------------------------------------------
@app.command("ingest")
def ingest(
    paths: Annotated[list[Path], typer.Argument(
        help="Export files (CSV/TSV/TXT, JSONL, Parquet) or folders, walked recursively.")],
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Read and validate only: print counts, write quarantine.")] = False,
    mapping: Annotated[Path | None, typer.Option(
        "--mapping", help="YAML or TOML file {their_header: canonical_field}.")] = None,
    quarantine: Annotated[Path | None, typer.Option(
        "--quarantine",
        help="Quarantine JSONL (default: <data_dir>/quarantine/<run or timestamp>.jsonl).")
    ] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Read files again even if their checksum was fully ingested.")] = False,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Exit with code 2 when any row was quarantined.")] = False,
    batch_size: Annotated[int, typer.Option(
        "--batch-size", min=100, max=100_000, help="Rows per write transaction.")] = 5_000,
    writers: Annotated[int, typer.Option(
        "--writers", min=1, max=8, help="Write transactions in flight at once.")] = 2,
    bulk: Annotated[bool, typer.Option(
        "--bulk", help="First backfill of an empty database through neo4j-admin import "
        "(many times faster; see docs/ingestion.md).")] = False,
) -> None:
    """Ingest registration exports: validate, normalise, quarantine unusable rows, write."""
    from datetime import datetime

    from scalpernet.ingest.readers import load_mapping

    header_map = load_mapping(mapping) if mapping is not None else None
    if bulk and not dry_run:
        _ingest_bulk(paths, header_map, quarantine, strict=strict)
        return
    if not dry_run:
        _ingest_to_graph(paths, header_map, quarantine, force=force, strict=strict,
                         batch_size=batch_size, writers=writers)
        return
    if quarantine is None:
        stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
        quarantine = get_settings().data_dir / "quarantine" / f"{stamp}.jsonl"
    _ingest_dry_run(paths, header_map, quarantine)


def _ingest_to_graph(paths: list[Path], header_map: dict[str, str] | None,
                     quarantine: Path | None, *, force: bool, strict: bool,
                     batch_size: int, writers: int) -> None:
    """Write to Neo4j with a progress bar (terminal) or plain lines; print the accounting."""
    import time

    from scalpernet.ingest.bulk import refuse_if_unfinished
    from scalpernet.ingest.pipeline import IngestReport, estimate_rows, ingest_paths
    from scalpernet.ingest.readers import source_files

    refuse_if_unfinished(get_settings())  # before connecting: the server may be stopped
    graph = _writer_graph()
    expected = sum(estimate_rows(p) for p in source_files(paths))
    started = time.monotonic()
    if sys.stderr.isatty():
        from rich.progress import (
            BarColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        with Progress(TextColumn(f"[bold]{say('progress.ingesting')}"), BarColumn(),
                      TextColumn("{task.completed:,} " + say("unit.rows")),
                      TextColumn("{task.fields[rate]}"),
                      TimeElapsedColumn(), TimeRemainingColumn(), transient=True) as bar:
            task = bar.add_task("ingest", total=max(expected, 1), rate="")

            def on_progress(report: IngestReport) -> None:
                rate = report.settled / max(time.monotonic() - started, 1e-6)
                bar.update(task, completed=report.settled, total=max(expected, report.read),
                           rate=say("rate", rate=rate))

            report = ingest_paths(graph, paths, mapping=header_map, force=force,
                                  batch_size=batch_size, writers=writers,
                                  quarantine_path=quarantine, on_progress=on_progress)
    else:
        last = [started]

        def on_progress(report: IngestReport) -> None:  # plain lines, at most one per 5 s
            now = time.monotonic()
            if now - last[0] >= 5:
                last[0] = now
                typer.echo(say("ingest.progress", settled=report.settled, expected=expected,
                               rate=report.settled / (now - started)), err=True)

        report = ingest_paths(graph, paths, mapping=header_map, force=force,
                              batch_size=batch_size, writers=writers,
                              quarantine_path=quarantine, on_progress=on_progress)
    rate = report.read / max(report.seconds, 1e-6)
    typer.echo(say("ingest.summary", run_id=report.run_id, files=len(report.files),
                   skipped=len(report.skipped_files), read=report.read,
                   seconds=report.seconds, rate=rate))
    typer.echo(say("ingest.ingested", ingested=report.ingested, updated=report.updated))
    _print_ignored(paths)
    _print_accounting(report, strict=strict)


def _print_ignored(paths: list[Path]) -> None:
    """Say which files in the folders given were not read (not an export's suffix)."""
    from scalpernet.errors import printable
    from scalpernet.ingest.readers import SUFFIXES, source_files

    ignored: list[Path] = []
    source_files(paths, ignored)
    if ignored:
        names = ", ".join(str(p) for p in ignored[:5]) + (" …" if len(ignored) > 5 else "")
        typer.echo(printable(say("ingest.not_read", n=len(ignored),
                                 suffixes=" ".join(SUFFIXES), names=names)))


def _print_troubles(report: Any) -> None:
    """One line per file not read to its end or changed while read; exit 1 when any."""
    from scalpernet.errors import printable

    troubled = report.troubled_files
    for f in troubled:
        typer.echo(printable(say("ingest.trouble", path=f.path, error=f.error)), err=True)
    if troubled:
        raise typer.Exit(code=1)


def _print_accounting(report: Any, *, strict: bool) -> None:
    """The end of a run that wrote: where every row went; exit 2 under --strict."""
    typer.echo(say("ingest.present", present=report.already_present))
    where = str(report.quarantine_path) if report.quarantined else say("ingest.no_file")
    typer.echo(say("ingest.quarantined", quarantined=report.quarantined, where=where))
    for reason, n in sorted(report.reasons.items(), key=lambda kv: (-kv[1], kv[0])):
        typer.echo(f"    {reason:<38} {n:>10,}")
    if report.blank:
        typer.echo(say("ingest.blank", blank=report.blank))
    typer.echo(say("ingest.balance", read=report.read, ingested=report.ingested,
                   present=report.already_present, quarantined=report.quarantined))
    _print_troubles(report)
    if strict and report.quarantined:
        typer.echo(say("error", message=say("ingest.strict", quarantined=report.quarantined)),
                   err=True)
        raise typer.Exit(code=2)


def _ingest_bulk(paths: list[Path], header_map: dict[str, str] | None,
                 quarantine: Path | None, *, strict: bool) -> None:
    """Bulk-load an empty database; print each stage as it starts, then the accounting."""
    import time

    from scalpernet.ingest.bulk import bulk_load
    from scalpernet.ingest.validate import IngestReport
    from scalpernet.messages import stage_name

    started = time.monotonic()
    last = [""]

    def on_stage(stage: str, report: IngestReport) -> None:
        if stage.startswith("neo4j-admin"):
            typer.echo(say("bulk.elsewhere", command=stage))
            return
        if stage != last[0]:
            typer.echo(say("bulk.stage", stage=stage_name(stage), read=report.read,
                           seconds=time.monotonic() - started), err=True)
            last[0] = stage

    report = bulk_load(get_settings(), paths, mapping=header_map, quarantine_path=quarantine,
                       on_stage=on_stage)
    rate = report.read / max(report.seconds, 1e-6)
    typer.echo(say("bulk.summary", run_id=report.run_id, files=len(report.files),
                   read=report.read, seconds=report.seconds, rate=rate, status=report.status))
    typer.echo(say("bulk.ingested", ingested=report.ingested))
    _print_accounting(report, strict=strict)


def _ingest_dry_run(paths: list[Path], header_map: dict[str, str] | None,
                    quarantine: Path) -> None:
    """Validate everything, print the counts; the quarantine file gets the bad rows."""
    import time

    from scalpernet.ingest.validate import IngestReport, validate_paths

    started = time.monotonic()
    if sys.stderr.isatty():
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        with Progress(SpinnerColumn(), TextColumn(f"[bold]{say('progress.validating')}"),
                      TextColumn("{task.completed:,} " + say("unit.rows")),
                      TextColumn("{task.fields[rate]}"),
                      TimeElapsedColumn(), transient=True) as bar:
            task = bar.add_task("validate", total=None, rate="")

            def on_progress(counts: IngestReport) -> None:
                rate = counts.read / max(time.monotonic() - started, 1e-6)
                bar.update(task, completed=counts.read, rate=say("rate", rate=rate))

            counts = validate_paths(paths, header_map, quarantine, on_progress=on_progress)
    else:
        last = [started]

        def on_progress(counts: IngestReport) -> None:  # plain lines, at most one per 5 s
            now = time.monotonic()
            if now - last[0] >= 5:
                last[0] = now
                typer.echo(say("dry.progress", read=counts.read,
                               rate=counts.read / (now - started)), err=True)

        counts = validate_paths(paths, header_map, quarantine, on_progress=on_progress)
    seconds = time.monotonic() - started
    typer.echo(say("dry.summary", files=len(counts.files), read=counts.read, seconds=seconds,
                   rate=counts.read / max(seconds, 1e-6)))
    typer.echo(say("dry.valid", valid=counts.valid, duplicates=counts.duplicates))
    where = str(quarantine) if counts.quarantined else say("ingest.no_file")
    typer.echo(say("dry.quarantined", quarantined=counts.quarantined, where=where))
    for reason, n in sorted(counts.reasons.items(), key=lambda kv: (-kv[1], kv[0])):
        typer.echo(f"    {reason:<38} {n:>10,}")
    if counts.blank:
        typer.echo(say("ingest.blank", blank=counts.blank))
    typer.echo(say("dry.flags"))
    for kind, n in sorted(counts.flags_by_kind.items(), key=lambda kv: (-kv[1], kv[0])):
        typer.echo(f"    {kind:<38} {n:>10,}")
    typer.echo(say("dry.balance", read=counts.read, valid=counts.valid,
                   quarantined=counts.quarantined))
    _print_ignored(paths)
    _print_troubles(counts)


# -- detection -----------------------------------------------------------------------------
@app.command("analyze")
def analyze_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Print the run summary as JSON.")] = False,
    window_days: Annotated[int | None, typer.Option(
        "--window-days", min=0,
        help="Read the bookings of the last N days before the newest one (0: the whole "
             "history; default SCALPERNET_ANALYSIS_WINDOW_DAYS, 180).")] = None,
) -> None:
    """Detect scalper networks over the window and store them (replaces the last run)."""
    from scalpernet.detect.commands import run_analyze

    typer.echo(run_analyze(_writer_graph(), window_days=window_days, as_json=as_json,
                           lang=language()))


@app.command("networks")
def networks_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Print the contract's JSON.")] = False,
) -> None:
    """Print the stored networks, highest risk first."""
    from scalpernet.detect.commands import run_networks
    from scalpernet.graph import get_graph

    typer.echo(run_networks(get_graph(), as_json=as_json, lang=language()))


@app.command("evaluate")
def evaluate_cmd(
    truth: Annotated[str, typer.Option("--truth", help="truth.json written by simulate.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Score the stored networks against a truth file: precision, recall, roles, gangs."""
    from pathlib import Path as _Path

    from scalpernet.detect.commands import run_evaluate
    from scalpernet.graph import get_graph

    typer.echo(run_evaluate(get_graph(), _Path(truth), as_json=as_json))


# -- view ----------------------------------------------------------------------------------
@app.command("view")
def view_cmd(
    network_id: Annotated[str, typer.Argument(help="The network's id (scalpernet networks).")],
    out: Annotated[Path, typer.Option("--out", help="The HTML file to write.")],
    unmasked: Annotated[bool, typer.Option(
        "--unmasked", help="Show ID numbers and phones in full (needs --key of an "
                           "investigator or admin).")] = False,
    key: Annotated[str | None, typer.Option(
        "--key", envvar="SCALPERNET_API_KEY", show_default=False,
        help="Your API key, for --unmasked (or SCALPERNET_API_KEY).")] = None,
    physics: Annotated[bool, typer.Option(
        "--physics", help="Start from a free layout that settles, not the tiers.")] = False,
    lang: Annotated[str, typer.Option(
        "--lang", help="The page's language: zh-CN or en.")] = "zh-CN",
) -> None:
    """Write the interactive page of one stored network: one HTML file that works offline.

    ID numbers and phones are masked unless --unmasked is given with a key whose role sees
    them: a written page leaves the system, and the file says nothing of who may open it.
    """
    from scalpernet.apikeys import key_role
    from scalpernet.graph import get_graph
    from scalpernet.results.store import get_network
    from scalpernet.views import LANGUAGES as PAGE_LANGUAGES
    from scalpernet.views import render_network_page

    if lang not in PAGE_LANGUAGES:
        _fail(say("lang.unknown", lang=lang, choices=", ".join(PAGE_LANGUAGES)))
    graph = get_graph()
    if unmasked:
        if not key:
            _fail(say("view.key_needed"))
        try:
            role = key_role(graph, key or "")
        except InputError as exc:
            _fail(str(exc))
        if role not in ("investigator", "admin"):
            _fail(say("view.role_refused", role=role))
    network = get_network(graph, network_id)
    if network is None:
        _fail(say("view.no_network", id=network_id))
        return
    hospitals_of = {r["uid"]: r["hospitals"]
                    for r in graph.read("network_member_hospitals", id=network_id)}
    page = render_network_page(network, masked=not unmasked, physics=physics, lang=lang,
                               hospitals_of=hospitals_of)
    try:
        out.write_text(page, encoding="utf-8")
    except OSError as exc:
        _fail(say("view.cannot_write", out=out, why=exc.strerror or exc))
    typer.echo(say("view.wrote", out=out, id=network.id, members=len(network.members),
                   masked="" if unmasked else say("view.masked")))


# -- nightly, runs -------------------------------------------------------------------------
@app.command("nightly")
def nightly_cmd(
    once: Annotated[bool, typer.Option("--once", help="Run one pass now and exit (cron).")
                    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="With --once: log each file.")
                       ] = False,
) -> None:
    """Take complete exports from the drop folder on schedule: ingest, analyze, record.

    With --once the exit code says how the pass went: 0 complete, 1 failed, 2 partial (some
    files moved to failed/ or left for retry), 75 another pass is running.
    """
    import logging

    from scalpernet.nightly import PassLocked, run_pass
    from scalpernet.nightly.scheduler import serve

    log_format = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    if not once:
        logging.basicConfig(level=logging.INFO, format=log_format)
        serve(get_settings())
        return
    logging.basicConfig(level=logging.INFO if verbose else logging.CRITICAL, format=log_format)
    try:
        outcome = run_pass(get_settings())
    except PassLocked as exc:
        typer.echo(say("error", message=exc), err=True)
        raise typer.Exit(code=PassLocked.exit_code) from None
    if outcome.exit_code:
        typer.echo(say("error", message=outcome.failure(language())), err=True)
        raise typer.Exit(code=outcome.exit_code)
    typer.echo(outcome.summary(language()))


@app.command("runs")
def runs_cmd(
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="Of each kind.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Recent nightly passes and ingestion runs, newest first (passes also from the local log)."""
    from scalpernet.graph import get_graph
    from scalpernet.nightly.listing import runs_report

    settings = get_settings()
    try:
        graph = get_graph()
    except ScalperNetError as exc:  # still show the passes the local log holds
        typer.echo(runs_report(None, settings, limit=limit, as_json=as_json, lang=language()))
        _fail(say("runs.local_only", error=exc))
        return
    typer.echo(runs_report(graph, settings, limit=limit, as_json=as_json, lang=language()))


class Terminated(KeyboardInterrupt):
    """SIGTERM: stop as Ctrl-C does, so a run records how it ended."""


_signals: list[int] = []


def _on_sigterm(signum: int, frame: Any) -> None:
    _signals.append(signum)
    raise Terminated


def _say(message: str) -> None:
    from scalpernet.errors import one_line

    typer.echo(say("error", message=one_line(message, 2000)), err=True)


def _crash_report(exc: BaseException) -> str:
    """Write the traceback of an unexpected error to a file; returns where (or why not)."""
    import traceback
    from datetime import UTC, datetime

    folder = get_settings().data_dir / "logs"
    path = folder / f"crash-{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}.txt"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(traceback.format_exception(exc)), encoding="utf-8",
                        errors="backslashreplace")
    except OSError as error:
        return say("crash.unwritten", why=error.strerror)
    return say("crash.written", path=path)


def main(argv: list[str] | None = None) -> None:
    """Entry point: every failure becomes one line on stderr and a non-zero exit code.

    ScalperNetError carries its own line; a driver error says what Neo4j did; anything else
    (a bug) names its type, and its traceback goes to ``<data_dir>/logs/``, not the screen."""
    import signal

    from neo4j.exceptions import DriverError, Neo4jError

    from scalpernet.graph.session import server_gone

    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        code = app(args=argv, standalone_mode=False)
    except typer.Exit as exc:
        code = exc.exit_code
    except ScalperNetError as exc:
        _say(str(exc))
        sys.exit(1)
    except (DriverError, Neo4jError) as exc:
        if server_gone(exc):
            _say(say("neo4j.gone", uri=get_settings().uri, kind=type(exc).__name__))
        else:
            _say(say("neo4j.refused", code=getattr(exc, "code", None) or type(exc).__name__))
        sys.exit(1)
    except KeyboardInterrupt as exc:
        _say(say("terminated" if isinstance(exc, Terminated) else "interrupted"))
        sys.exit(143 if isinstance(exc, Terminated) else 130)
    except Exception as exc:  # click usage errors, and bugs
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Abort):
            sys.exit(1)
        _say(say("unexpected", kind=type(exc).__name__, error=exc,
                 where=_crash_report(exc)))
        sys.exit(1)
    if code == 130:  # typer's word for an interruption (Ctrl-C, or SIGTERM above)
        _say(say("terminated" if _signals else "interrupted"))
        code = 143 if _signals else 130
    sys.exit(code if isinstance(code, int) else 0)

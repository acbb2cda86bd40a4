"""The ``scalpernet`` command: parses arguments and calls the modules that do the work."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from scalpernet.config import get_settings
from scalpernet.errors import ScalperNetError

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="ScalperNet: map hospital appointment scalper networks.")
db_app = typer.Typer(no_args_is_help=True, help="The local Neo4j server.")
app.add_typer(db_app, name="db")


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
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

    status = LocalServer(get_settings()).start()
    where = "external server" if status.external else f"pid {status.pid}"
    typer.echo(f"Neo4j {status.version} {status.edition} running at {status.uri} ({where})")


@db_app.command("stop")
def db_stop() -> None:
    """Stop the local Neo4j server (no-op when it is not running)."""
    from scalpernet.localserver import LocalServer

    settings = get_settings()
    if settings.external:
        typer.echo(f"NEO4J_URI is set ({settings.uri}): not stopping an external server")
        return
    stopped = LocalServer(settings).stop()
    typer.echo("Neo4j stopped" if stopped else "Neo4j was not running")


@db_app.command("status")
def db_status() -> None:
    """Say whether the configured Neo4j answers; exit 1 when it does not."""
    from scalpernet.localserver import LocalServer

    status = LocalServer(get_settings()).status()
    if status.running:
        typer.echo(f"running: Neo4j {status.version} {status.edition} at {status.uri}"
                   + ("" if status.external else f" (pid {status.pid})"))
        return
    typer.echo(f"not running: {status.uri}: {status.detail}")
    raise typer.Exit(code=1)


@db_app.command("reset")
def db_reset(
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: delete every node.")] = False,
) -> None:
    """Empty the graph (every node and relationship); the schema stays."""
    from scalpernet.graph.schema import reset_graph

    if not yes:
        _fail("db reset deletes the whole graph: pass --yes to confirm")
    deleted = reset_graph(_writer_graph())
    typer.echo(f"graph emptied: {deleted} nodes deleted")


# -- simulate ----------------------------------------------------------------------------
@app.command("simulate")
def simulate_cmd(
    out: Annotated[str, typer.Option("--out", help="Folder for the files and truth.json.")],
    records: Annotated[int, typer.Option("--records", help="Registrations to write.")] = 100_000,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same bytes.")] = 1,
    fmt: Annotated[str, typer.Option("--format", help="csv, jsonl or parquet.")] = "csv",
) -> None:
    """Write a synthetic city's registrations and its truth.json (no database needed)."""
    from scalpernet.simulate import FORMATS, simulate

    if fmt not in FORMATS:
        _fail(f"--format must be one of {', '.join(FORMATS)}")
    try:
        summary = simulate(out, records=records, seed=seed, fmt=fmt)
    except ValueError as exc:
        _fail(str(exc))
        return
    for path in summary.files:
        typer.echo(f"wrote {path}")
    typer.echo(f"wrote {summary.truth}")
    typer.echo(f"{summary.records} records, {summary.hospitals} hospitals, {summary.days} days, "
               f"{summary.gangs} gangs ({summary.gang_members} members, "
               f"{summary.gang_bookings} bookings), {summary.innocent} innocent look-alikes "
               f"in {summary.seconds:.1f} s")


def main(argv: list[str] | None = None) -> None:
    """Entry point: every ScalperNetError becomes one line on stderr and exit code 1."""
    from neo4j.exceptions import Neo4jError, ServiceUnavailable

    try:
        code = app(args=argv, standalone_mode=False)
    except typer.Exit as exc:
        code = exc.exit_code
    except ScalperNetError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except ServiceUnavailable:
        typer.echo(f"error: cannot reach Neo4j at {get_settings().uri}: is it running? "
                   "(scalpernet db start)", err=True)
        sys.exit(1)
    except Neo4jError as exc:
        typer.echo(f"error: Neo4j refused the request: {exc.code}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.echo("error: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # click usage errors and the like
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Abort):
            sys.exit(1)
        raise
    sys.exit(code if isinstance(code, int) else 0)

"""Neo4j stopped at pass time: the pass fails cleanly, files stay, the next pass succeeds."""

from __future__ import annotations

import subprocess
import sys

from scalpernet.config import get_settings
from scalpernet.graph import Graph
from scalpernet.ingest.runs import recent_runs
from scalpernet.localserver import LocalServer
from scalpernet.nightly import ledger, run_pass
from tests.ingest.exports import write_export
from tests.nightly.conftest import Drop


def test_a_pass_with_neo4j_stopped_fails_cleanly_and_the_next_one_succeeds(
        empty_graph: Graph, drop: Drop) -> None:
    write_export(drop.dir / "a.csv", 10, prefix="Z")
    before = drop.files()
    server = LocalServer(get_settings())
    assert server.stop()
    try:
        failed = run_pass(drop.settings)
        assert (failed.record.status, failed.exit_code) == ("failed", 1)
        assert "unavailable after 3 tries" in failed.record.error
        assert failed.recorded_in == str(ledger.local_log(drop.settings.data_dir))
        assert set(drop.files()) == set(before)  # left for the next night

        cli = subprocess.run([sys.executable, "-m", "scalpernet", "nightly", "--once"],
                             env=drop.env, capture_output=True, text=True, timeout=120)
        assert cli.returncode == 1
        [line] = cli.stderr.strip().splitlines()
        assert line.startswith("error: nightly pass nightly-") and "failed: Neo4j at" in line

        listed = subprocess.run([sys.executable, "-m", "scalpernet", "runs"], env=drop.env,
                                capture_output=True, text=True, timeout=120)
        assert listed.returncode == 1 and "local log" in listed.stderr
        assert failed.record.id in listed.stdout and "[local log only]" in listed.stdout
        assert len(ledger.read_local(ledger.local_log(drop.settings.data_dir))) == 2
    finally:
        server.start()

    ok = run_pass(drop.settings)
    assert (ok.record.status, ok.recorded_in) == ("complete", "neo4j")
    assert [f["outcome"] for f in ok.record.files] == ["ingested"]
    assert [r["status"] for r in recent_runs(empty_graph, limit=5)] == ["complete"]
    stored = {p["id"]: p for p in ledger.recent_passes(empty_graph, drop.dir / "none")}
    assert stored[failed.record.id]["status"] == "failed"  # imported from the local log
    assert stored[failed.record.id]["recorded_in"] == "neo4j"
    assert stored[ok.record.id]["status"] == "complete"

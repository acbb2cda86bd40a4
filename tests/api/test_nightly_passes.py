"""GET /nightly/passes shows the nightly job's passes to readers, newest first."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.api.conftest import Api


def test_passes_are_listed_newest_first_for_readers_only(api: Api) -> None:
    api.graph.driver.execute_query(
        """UNWIND $passes AS p
           CREATE (:NightlyPass {id: p.id, started_at: datetime(p.at), status: p.status,
                                 files: p.files, analysis: '{"networks": 2}', read: 9})""",
        passes=[{"id": "pass-1", "at": "2026-03-04T02:00:00+08:00", "status": "failed",
                 "files": "[]"},
                {"id": "pass-2", "at": "2026-03-05T02:00:00+08:00", "status": "complete",
                 "files": '[{"name": "export-h.csv", "status": "processed"}]'}],
        database_=api.graph.database)
    try:
        body = api.get("/nightly/passes").json()
        assert body["total"] == 2 and [p["id"] for p in body["runs"]] == ["pass-2", "pass-1"]
        latest = body["runs"][0]
        assert latest["files"] == [{"name": "export-h.csv", "status": "processed"}]
        assert latest["analysis"] == {"networks": 2} and latest["started_at"].startswith("2026")
        assert api.get("/nightly/passes", role="ingest").status_code == 403
        assert api.get("/nightly/passes?limit=0").status_code == 422
    finally:
        api.graph.driver.execute_query("MATCH (p:NightlyPass) DETACH DELETE p",
                                       database_=api.graph.database)

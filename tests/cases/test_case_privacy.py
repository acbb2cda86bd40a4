"""Cases and privacy: roles, validation, masking for analysts, and an audit line per
change naming who made it."""

from __future__ import annotations

from tests.api.conftest import P2, Api, gang, wifi
from tests.cases.test_cases import post, rerun


def test_roles_and_bad_input_are_refused_with_one_line(api: Api) -> None:
    assert post(api, "/cases", {"network_id": "n-gang"}, role="ingest").status_code == 403
    missing = post(api, "/cases", {"network_id": "n-nowhere"})
    assert missing.status_code == 404
    assert "n-nowhere" in missing.json()["error"]["message"]
    assert post(api, "/cases/n-nowhere/comments", {"text": "x"}).status_code == 404
    assert post(api, "/cases", {"network_id": "n-gang"}).status_code == 201
    for body in ({"status": "under_review", "note": "   "}, {"status": "under_review"},
                 {"status": "new", "note": "back"}, {"status": "under_review", "note": "x",
                                                     "by": "someone else"}):
        answer = post(api, "/cases/n-gang/status", body)
        assert answer.status_code == 422, body
        assert answer.json()["error"]["code"] == "invalid_parameter"
    assert api.get("/cases/n-gang").json()["case"]["status"] == "new"
    wrong = api.client.delete("/cases", headers={"X-API-Key": api.keys["investigator"]})
    assert wrong.status_code == 405 and wrong.headers["allow"] == "GET, POST"


def test_analysts_see_masks_and_every_change_is_audited(api: Api) -> None:
    before = len(api.audit_lines())
    post(api, "/cases", {"network_id": "n-gang"})
    post(api, "/cases/n-gang/status", {"status": "under_review", "note": "look"})
    post(api, "/cases/n-gang/status", {"status": "confirmed", "note": "seen"})
    answer = post(api, "/cases/n-gang/comments",
                  {"text": "patient 510107199013011234 called from 17012345678"},
                  role="investigator")
    assert answer.status_code == 200
    audit = api.last_audit()
    assert (audit["route"], audit["method"], audit["status"], audit["role"]) == (
        "/cases/{network_id}/comments", "POST", 200, "investigator")
    assert audit["params"]["network_id"] == "n-gang"

    shrunk = gang()
    shrunk.members = [m for m in shrunk.members if m.key != P2]
    shrunk.size = len(shrunk.members)
    rerun(api, "run-2", [shrunk])

    seen = api.get("/cases/n-gang", role="analyst")
    assert seen.status_code == 200
    text = seen.text
    assert "510107199013011234" not in text and "17012345678" not in text
    left = seen.json()["changes"]["left"]["members"]
    assert [m["kind"] for m in left] == ["patient"]
    assert left[0]["key"] != P2 and left[0]["ref"].startswith("ref_")
    assert "510107199013011234" in api.get("/cases/n-gang").text  # investigators see it
    audit = api.last_audit()
    assert audit["route"] == "/cases/{network_id}" and audit["entities"]
    assert all("510107199013011234" not in u for u in audit["entities"])

    moved = post(api, "/cases/n-gang/status", {"status": "referred", "note": "sent"},
                 role="analyst")
    assert moved.status_code == 200
    audit = api.last_audit()
    assert (audit["role"], audit["params"]["status"], audit["outcome"]) == (
        "analyst", "referred", "ok")
    lines = [line for line in api.audit_lines()[before:] if line["method"] == "POST"]
    assert len(lines) == 5  # one line per change, none twice
    assert len({line["request_id"] for line in lines}) == 5


def test_two_moves_at_once_are_judged_one_after_the_other(api: Api) -> None:
    """Both ask to confirm a case under review: one is applied, the other sees it done."""
    import asyncio
    from datetime import UTC, datetime

    from scalpernet.graph.async_session import AsyncGraph
    from tests.api.conftest import api_settings

    rerun(api, "run-3", [gang(), wifi()])
    assert post(api, "/cases", {"network_id": "n-wifi"}).status_code == 201
    post(api, "/cases/n-wifi/status", {"status": "under_review", "note": "look"})

    async def both() -> list[list[dict]]:
        graph = AsyncGraph(api_settings(api.data_dir))
        try:
            return await asyncio.gather(*(graph.write(
                "case_change_status", network_id="n-wifi", status="confirmed",
                allowed_from=["under_review"], note=f"try {i}", at=datetime.now(UTC),
                by={"key_id": f"k{i}", "name": "", "role": "investigator"},
                request_id=f"r{i}") for i in range(2)))
        finally:
            await graph.close()

    results = asyncio.run(both())
    assert sorted(r[0]["allowed"] for r in results) == [False, True]
    history = api.get("/cases/n-wifi").json()["history"]
    assert [e["to"] for e in history] == ["new", "under_review", "confirmed"]

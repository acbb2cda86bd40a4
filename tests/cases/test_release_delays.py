"""A member's releases: the network's bookings beside everyone else's, read from the graph
for the current network; masked for analysts and audited. And each member's hospitals, as
the network page's hospital filter gets them."""

from __future__ import annotations

import orjson

from tests.api.conftest import P1, Api

ROUTE = "/networks/n-gang/release-delays"


def test_the_releases_of_a_member_compare_the_gang_with_everyone_else(api: Api) -> None:
    ref = api.ref("patient", P1)
    body = api.get(ROUTE, params={"member": ref}).json()
    # P1 booked in three releases: H1 and H2 on 2 March (the gang, 21-60 ms after release,
    # and an honest booking 90 s after), H1 on 4 March (P1 alone, 2 minutes after)
    assert body["releases"] == 3 and body["hospitals"] == ["H1", "H2"]
    bins = {b["label"]: (b["network"], b["others"]) for b in body["bins"]}
    assert bins["< 100 ms"] == (6, 0) and bins["≥ 60 s"] == (0, 2)
    assert (body["network_bookings"], body["other_bookings"]) == (6, 2)
    assert body["member"]["key"] == P1

    at_h2 = api.get(ROUTE, params={"member": ref, "hospital": "H2"}).json()
    assert (at_h2["releases"], at_h2["network_bookings"], at_h2["other_bookings"]) == (1, 3, 0)

    seen = api.get(ROUTE, params={"member": ref}, role="analyst")
    assert seen.status_code == 200
    assert P1.split("|")[0] not in seen.text and "张三" in seen.text
    line = api.last_audit()
    assert (line["route"], line["role"], line["status"]) == (
        "/networks/{network_id}/release-delays", "analyst", 200)
    assert line["entities"] and P1.split("|")[0] not in orjson.dumps(line).decode()

    assert api.get(ROUTE, params={"member": f"patient:{P1}"}, role="analyst").status_code == 403
    assert api.get("/networks/n-none/release-delays",
                   params={"member": ref}).status_code == 404
    assert api.get(ROUTE, params={"member": "ip:198.51.100.1"}).status_code == 404


def _page_data(api: Api, network_id: str) -> dict:
    page = api.get(f"/networks/{network_id}/view").text
    start = page.index(">", page.index('id="scalpernet-data"')) + 1
    return orjson.loads(page[start:page.index("</script>", start)])


def test_the_network_page_knows_the_hospitals_each_member_booked_at(api: Api) -> None:
    gang = _page_data(api, "n-gang")
    assert gang["hospitals"] == ["H1", "H2"]
    assert {tuple(m["h"]) for m in gang["members"].values()} == {(0, 1)}
    assert all(a["h"] == [0, 1] for a in gang["chart"]["actors"].values())
    wifi = _page_data(api, "n-wifi")
    assert wifi["hospitals"] == ["H1"]
    assert [m["h"] for m in wifi["members"].values()] == [[0], [0]]

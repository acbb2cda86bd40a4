"""The case pages over HTTP: sign-in, changes as forms, refusals shown on the page, hostile
text escaped, another origin refused, English on request, every request audited."""

from __future__ import annotations

from tests.api.conftest import Api


def test_case_pages_work_a_case_through_forms_and_refuse_what_they_must(api: Api) -> None:
    client = api.client
    assert client.get("/ui/cases", follow_redirects=False).headers["location"] == "/ui/login"
    assert client.post("/ui/login", data={"key": api.keys["investigator"]},
                       follow_redirects=False).status_code == 303

    foreign = client.post("/ui/cases", data={"network_id": "n-wifi"},
                          headers={"Origin": "https://elsewhere.example"},
                          follow_redirects=False)
    assert foreign.status_code == 403
    assert (api.last_audit()["route"], api.last_audit()["status"]) == ("/ui/cases", 403)
    assert client.get("/cases/n-wifi", headers={"X-API-Key": api.keys["investigator"]}
                      ).status_code == 404

    opened = client.post("/ui/cases?lang=en", data={"network_id": "n-wifi", "note": "Wi-Fi"},
                         follow_redirects=False)
    assert opened.status_code == 303
    assert opened.headers["location"] == "/ui/cases/n-wifi?lang=en"
    again = client.post("/ui/cases", data={"network_id": "n-wifi"}, follow_redirects=False)
    assert again.status_code == 303  # already open: shown, not opened twice
    assert api.last_audit()["route"] == "/ui/cases" and api.last_audit()["status"] == 303

    page = client.get("/ui/cases/n-wifi?lang=en")
    assert page.status_code == 200 and '<html lang="en">' in page.text
    assert "Under review" in page.text and "Referred" not in page.text

    refused = client.post("/ui/cases/n-wifi/status?lang=en",
                          data={"status": "confirmed", "note": "too early"})
    assert refused.status_code == 409
    assert "cannot become confirmed" in refused.text and "too early" in refused.text
    assert api.last_audit()["status"] == 409

    hostile = client.post("/ui/cases/n-wifi/comments", data={"text": "<script>alert(1)</script>"},
                          follow_redirects=False)
    assert hostile.status_code == 303
    shown = client.get("/ui/cases/n-wifi").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown and "<script>" not in shown
    assert client.get("/ui/cases/n-wifi").headers["content-security-policy"].startswith(
        "default-src 'none'")

    missing = client.post("/ui/cases", data={"network_id": "n-none"}, follow_redirects=False)
    assert missing.status_code == 404

    listed = client.get("/ui/cases?status=new")
    assert "n-wifi" in listed.text
    assert "n-wifi" not in client.get("/ui/cases?status=referred").text
    client.post("/ui/logout")
    assert client.get("/ui/cases/n-wifi", follow_redirects=False).status_code == 303
